/*
 * The hint for an application whose `openai` the module hooks never see: a bundle (esbuild,
 * webpack, ...) with `openai` inlined, Bun or Deno. Nothing is traced there until the
 * application calls `manuallyInstrument()`, and nothing else would say why.
 *
 * The rule: when the instrumentation is enabled in such an environment and no `openai` copy has
 * been patched (by the hooks or by hand) when the process is about to end (`beforeExit`) or
 * `UNSEEN_HINT_DELAY_MS` after `enable()`, whichever comes first, one warning goes to `diag`.
 * In a plain Node.js process that loads `openai` from `node_modules` there is no hint: an
 * application may load it lazily, and the hooks will see it then. Costs one unref'd timer and
 * one `beforeExit` listener, both removed once `openai` is seen.
 */

/** How long after `enable()` the hint waits for `openai` to load. */
export const UNSEEN_HINT_DELAY_MS = 10_000;

export const MANUAL_ENTRY_HELP =
  'call instrumentation.manuallyInstrument(OpenAI) with the imported openai module or OpenAI class ' +
  '(README, "Bundlers, Bun and Deno")';

interface ProcessLike {
  versions?: Record<string, string | undefined>;
  once?(event: 'beforeExit', listener: () => void): unknown;
  removeListener?(event: 'beforeExit', listener: () => void): unknown;
}

function currentProcess(): ProcessLike | undefined {
  return typeof process === 'object' && process !== null ? (process as ProcessLike) : undefined;
}

/**
 * Why the module hooks may not see `openai` here, or undefined in a plain Node.js process.
 * `moduleRecord` is this package's CommonJS `module`: Node.js gives it a `filename`, a bundler's
 * stand-in (esbuild's `{ exports }`, webpack's) has none.
 */
export function hooklessEnvironment(moduleRecord: unknown, proc: ProcessLike | undefined = currentProcess()): string | undefined {
  if (typeof proc?.versions?.bun === 'string') return 'Bun';
  if (typeof proc?.versions?.deno === 'string' || typeof (globalThis as { Deno?: unknown }).Deno === 'object') return 'Deno';
  const filename = (moduleRecord as { filename?: unknown } | null | undefined)?.filename;
  if (typeof filename !== 'string' || filename === '') return 'a bundled application';
  return undefined;
}

export function unseenMessage(environment: string): string {
  return (
    '@budecosystem/instrumentation-responses: enabled, but no openai module has been instrumented; ' +
    `this looks like ${environment}, where module hooks do not see openai. If the application uses ` +
    `openai, ${MANUAL_ENTRY_HELP}.`
  );
}

export interface UnseenHintOptions {
  /** Where the hint goes (diag.warn). */
  report: (message: string) => void;
  /** The environment that hides openai from the hooks, or undefined (no hint). */
  environment: string | undefined;
  delayMs?: number;
  proc?: ProcessLike;
}

/** Gives the hint once per instance, unless `seen()` is called first. Never throws. */
export class UnseenOpenAIHint {
  private seenOpenAI = false;
  private given = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onBeforeExit = (): void => this.check();

  constructor(private readonly options: UnseenHintOptions) {}

  /** Arms the check (on `enable()`); does nothing outside a hookless environment. */
  start(): void {
    if (this.seenOpenAI || this.given || this.options.environment === undefined || this.timer !== undefined) return;
    try {
      const proc = this.options.proc ?? currentProcess();
      proc?.once?.('beforeExit', this.onBeforeExit);
      const timer = setTimeout(() => this.check(), this.options.delayMs ?? UNSEEN_HINT_DELAY_MS);
      // Never keeps a process alive: Node.js and Bun timers unref, Deno's through Deno.unrefTimer.
      const unref = (timer as { unref?: () => void }).unref;
      if (typeof unref === 'function') unref.call(timer);
      else (globalThis as { Deno?: { unrefTimer?: (id: unknown) => void } }).Deno?.unrefTimer?.(timer);
      this.timer = timer;
    } catch {
      this.stop();
    }
  }

  /** Disarms the check (on `disable()`). */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      (this.options.proc ?? currentProcess())?.removeListener?.('beforeExit', this.onBeforeExit);
    } catch {
      /* nothing to undo */
    }
  }

  /** An openai copy was patched: no hint, now or later. */
  seen(): void {
    this.seenOpenAI = true;
    this.stop();
  }

  private check(): void {
    const environment = this.options.environment;
    this.stop();
    if (this.seenOpenAI || this.given || environment === undefined) return;
    this.given = true;
    this.options.report(unseenMessage(environment));
  }
}
