/*
 * The diagnostics of the zero-code entry. The SDK installs a console logger only when
 * OTEL_LOG_LEVEL is set; without one, a wrong exporter setting or an unreachable endpoint would
 * go unnoticed. So when OTEL_LOG_LEVEL is unset, warnings and errors go to stderr, one line
 * each (the SDK reports export failures as JSON-encoded exceptions: only their message is kept).
 */
import { inspect } from 'node:util';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';

const PREFIX = '[opentelemetry]';

/** The `message` of a JSON-encoded exception, or the text unchanged. */
export function condense(text: string): string {
  if (!text.startsWith('{')) return text;
  try {
    const parsed: unknown = JSON.parse(text);
    const message = (parsed as { message?: unknown } | null)?.message;
    return typeof message === 'string' ? message : text;
  } catch {
    return text;
  }
}

function formatArg(arg: unknown): string {
  if (arg instanceof Error) return `${arg.name}: ${arg.message}`;
  if (typeof arg === 'string') return condense(arg);
  return inspect(arg, { depth: 2, breakLength: Infinity });
}

/** Formats one diagnostic as a single line. */
export function formatDiagLine(level: string, message: string, args: unknown[]): string {
  const text = [condense(message), ...args.map(formatArg)].join(' ');
  return `${PREFIX} ${level}: ${text.replace(/\s*\n\s*/g, ' ')}`;
}

function consoleLine(level: string): (message: string, ...args: unknown[]) => void {
  return (message, ...args) => console.warn(formatDiagLine(level, message, args));
}

const compactConsoleLogger: DiagLogger = {
  error: consoleLine('error'),
  warn: consoleLine('warn'),
  info: consoleLine('info'),
  debug: consoleLine('debug'),
  verbose: consoleLine('verbose'),
};

/** Installs the one-line stderr logger at WARN, unless OTEL_LOG_LEVEL asks the SDK for its own. */
export function installDiagLogger(env: Readonly<Record<string, string | undefined>>): void {
  if (env.OTEL_LOG_LEVEL?.trim()) return;
  diag.setLogger(compactConsoleLogger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
}

/** The first line of an error's message (a module-not-found one carries its require stack). */
export function describeError(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

/** Logs a message of this package through `diag`. */
export function warn(message: string): void {
  diag.warn(`@budecosystem/instrumentation-responses: ${message}`);
}
