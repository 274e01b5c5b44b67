/*
 * Flushing telemetry when the process ends, without changing how it ends.
 *
 * The rule:
 * - Natural end (`beforeExit`: the event loop is empty): shut the SDK down (export what is
 *   buffered), then let the process exit with its own exit code. If the flush takes longer than
 *   the timeout, exit anyway with that code.
 * - SIGTERM / SIGINT with no other listener (Node's default would kill the process): flush with
 *   the timeout, then remove our listeners and send the same signal again, so the process dies
 *   by that signal as it would have without us. A second signal during the flush does that at once.
 * - SIGTERM / SIGINT when the application has its own listener: the application owns the signal.
 *   We start the flush and do nothing else: no exit, no re-raise. If the application then exits
 *   naturally, it exits after the flush; if it calls `process.exit()`, it should await
 *   `shutdown()` first, since nothing can be exported after `process.exit()`.
 * - `process.exit()` and uncaught exceptions end the process synchronously: no flush possible.
 */
import { describeError } from './logger';

export const FLUSH_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
export type FlushSignal = (typeof FLUSH_SIGNALS)[number];

export type FlushOutcome = 'done' | 'failed' | 'timeout';

/** Our listeners: the signal handler takes the signal name, the `beforeExit` one takes nothing. */
type Listener = (signal: FlushSignal) => void;

/** The parts of `process` used here (a fake one in unit tests). */
export interface ProcessLike {
  readonly pid: number;
  on(event: string, listener: Listener): unknown;
  removeListener(event: string, listener: Listener): unknown;
  listeners(event: string): unknown[];
  kill(pid: number, signal: string): unknown;
  exit(): unknown;
}

export interface ExitFlushOptions {
  /** Shuts the SDK down (exports what is buffered). */
  shutdown: () => Promise<void>;
  timeoutMs: number;
  /** Reports a failed or late flush. */
  warn: (message: string) => void;
  /** Appended to the warnings: where the telemetry was going. */
  hint?: string;
  proc?: ProcessLike;
}

export class ExitFlush {
  private flushing: Promise<FlushOutcome> | undefined;
  private readonly proc: ProcessLike;
  private readonly onBeforeExit = (): void => this.handleBeforeExit();
  private readonly onSignal = (signal: FlushSignal): void => this.handleSignal(signal);

  constructor(private readonly options: ExitFlushOptions) {
    this.proc = options.proc ?? process;
  }

  install(): void {
    this.proc.on('beforeExit', this.onBeforeExit);
    for (const signal of FLUSH_SIGNALS) this.proc.on(signal, this.onSignal);
  }

  uninstall(): void {
    this.proc.removeListener('beforeExit', this.onBeforeExit);
    for (const signal of FLUSH_SIGNALS) this.proc.removeListener(signal, this.onSignal);
  }

  /** Shuts the SDK down once, within the timeout; later calls share the first one. Never rejects. */
  flush(): Promise<FlushOutcome> {
    this.flushing ??= this.runFlush();
    return this.flushing;
  }

  private handleBeforeExit(): void {
    if (this.flushing) return; // fires again once our flush has emptied the loop
    void this.flush().then((outcome) => {
      if (outcome === 'timeout') this.proc.exit(); // keeps process.exitCode
    });
  }

  private handleSignal(signal: FlushSignal): void {
    const applicationListens = this.proc.listeners(signal).some((listener) => listener !== this.onSignal);
    if (applicationListens) {
      void this.flush();
      return;
    }
    if (this.flushing) {
      this.reraise(signal);
      return;
    }
    void this.flush().then(() => this.reraise(signal));
  }

  /** Lets the signal's default action happen: no listener of ours left, the same signal again. */
  private reraise(signal: FlushSignal): void {
    this.uninstall();
    this.proc.kill(this.proc.pid, signal);
  }

  private async runFlush(): Promise<FlushOutcome> {
    const { timeoutMs } = this.options;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<FlushOutcome>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const finished = Promise.resolve()
      .then(() => this.options.shutdown())
      .then(
        (): FlushOutcome => 'done',
        (error: unknown): FlushOutcome => {
          this.report(`exporting telemetry at exit failed (${describeError(error)})`);
          return 'failed';
        },
      );
    const outcome = await Promise.race([finished, late]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.report(
        `flushing telemetry at exit did not finish within ${timeoutMs} ms; ` +
          'exiting without it (BUD_OTEL_SHUTDOWN_TIMEOUT_MS sets the wait)',
      );
    }
    return outcome;
  }

  private report(message: string): void {
    this.options.warn(this.options.hint ? `${message}; ${this.options.hint}` : message);
  }
}
