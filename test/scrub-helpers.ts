/*
 * Helpers of the scrubber tests: which attributes hold content, and every `diag` message, at
 * every level, while a test runs.
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

/** The attributes that hold content (docs/TELEMETRY.md §4, §5): everything the budget covers. */
export const CONTENT_ATTRIBUTES: ReadonlySet<string> = new Set([
  'gen_ai.input.messages',
  'gen_ai.system_instructions',
  'gen_ai.tool.definitions',
  'gen_ai.output.messages',
  'bud.inference.request.prompt',
  'bud.inference.response.output_text',
]);

/** Whether an attribute holds content: the set above, and every `bud.inference.request.*` or `.response.*` param the policy calls content. */
export function isContentAttribute(key: string): boolean {
  if (CONTENT_ATTRIBUTES.has(key)) return true;
  const name = key.startsWith('bud.inference.request.') ? key.slice('bud.inference.request.'.length) : undefined;
  return name !== undefined && ['input', 'instructions', 'tools', 'user', 'metadata', 'text'].includes(name);
}

