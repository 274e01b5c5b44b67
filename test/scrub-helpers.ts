/*
 * Helpers of the scrubber tests: every `diag` message, at every level, while a test runs.
 */
import { diag, DiagLogLevel } from '@opentelemetry/api';

export interface DiagCapture {
  /** Each message with its arguments, as text. */
  readonly messages: string[];
  restore(): void;
}

function text(args: unknown[]): string {
  return args
    .map((a) => {
      if (typeof a === 'string') return a;
      if (a instanceof Error) return `${a.name}: ${a.message} ${a.stack ?? ''}`;
      try {
        return JSON.stringify(a);
      } catch {
        return String(a);
      }
    })
    .join(' ');
}

/** Captures every diag message until `restore()` (which removes the logger again). */
export function captureDiag(): DiagCapture {
  const messages: string[] = [];
  const record = (message: string, ...args: unknown[]) => {
    messages.push(text([message, ...args]));
  };
  diag.setLogger({ error: record, warn: record, info: record, debug: record, verbose: record }, { logLevel: DiagLogLevel.ALL, suppressOverrideMessage: true });
  return { messages, restore: () => diag.disable() };
}
