/*
 * For a test that provokes a library's console message on purpose (openai's "Could not parse
 * message into JSON", the Agents SDK's "Accessed finalOutput before agent run is completed"):
 * the message is recorded and asserted on, instead of printed among mocha's lines.
 */

type ConsoleMethod = 'error' | 'warn' | 'info' | 'log' | 'debug';

/** A logger of the shape openai 5+ clients take (`logger` option), recording into `lines`. */
export interface RecordingLogger {
  error: (...args: unknown[]) => void;
  warn: (...args: unknown[]) => void;
  info: (...args: unknown[]) => void;
  debug: (...args: unknown[]) => void;
}

/**
 * Runs `fn` with the `console` methods replaced by recorders (openai 4 and the Agents SDK call
 * `console` when they log), and hands `fn` a logger for clients that take one (openai 5+ binds
 * `console`'s methods once per process, so a replaced `console` would not be seen there).
 * Returns `fn`'s result and the first argument of every recorded line, in order.
 */
export async function capturingConsole<T>(
  methods: readonly ConsoleMethod[],
  fn: (logger: RecordingLogger) => Promise<T>,
): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const record = (...args: unknown[]): void => void lines.push(String(args[0]));
  const saved = methods.map((method) => [method, console[method]] as const);
  for (const method of methods) console[method] = record;
  try {
    const result = await fn({ error: record, warn: record, info: record, debug: record });
    return { result, lines };
  } finally {
    for (const [method, original] of saved) console[method] = original;
  }
}
