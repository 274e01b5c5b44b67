/*
 * The variants compared and the messages the coordinator (run.ts) and a variant's child process
 * (child.ts) exchange over IPC. The coordinator sends one command at a time and waits for its
 * answer, so at most one process is measuring at any moment.
 */
import type { ModuleRoot } from './paths';

export type WorkloadName = 'create' | 'stream' | 'synthetic';

export interface VariantSpec {
  id: string;
  label: string;
  /** Where `openai` is loaded from: `main` = openai 7, `work` = openai 6. */
  openai: ModuleRoot;
  instrumentation: 'none' | 'ours' | 'official';
  /**
   * `enabled`: a real SDK (tracer + meter provider, context manager, propagator) is set up.
   * `disabled`: ours constructed, then `disable()`d. `no-provider`: ours enabled, no SDK at all.
   */
  mode: 'enabled' | 'disabled' | 'no-provider';
  /** Which OTel SDK line the child sets up (`none` for bare clients and `no-provider`). */
  sdk: ModuleRoot | 'none';
  /** The bare variant (same openai major) this one is compared against. */
  baseline?: string;
  /**
   * The SDK-only variant (same openai major, same SDK, no instrumentation): what the
   * instrumentation itself adds, without the cost of having an OTel SDK in the process at all.
   */
  control?: string;
  workloads: readonly WorkloadName[];
  /** Measure heap growth over many streamed calls in a separate `--expose-gc` child. */
  heap: boolean;
}

export interface ChildInfo {
  openaiVersion: string;
  /** `Responses.prototype.create` is wrapped in this process. */
  patched: boolean;
  /** Versions of the OTel packages this child loaded, by package name. */
  otel: Record<string, string>;
  /** Events per call of the synthetic stream (workload 3). */
  syntheticEvents: number;
}

export interface RunCommand {
  type: 'run';
  workload: WorkloadName;
  /**
   * Calls in the batch. A patched child makes calls/2 patched + calls/2 unpatched calls (A/B
   * pairs), so every child makes the same number of calls per batch.
   */
  calls: number;
  /** One unmeasured call first: the first call after the child sat idle is slower in every variant. */
  primer: boolean;
}

export interface HeapCommand {
  type: 'heap';
  warmup: number;
  calls: number;
}

export interface StatsCommand {
  type: 'stats';
}

export type Command = RunCommand | HeapCommand | StatsCommand;

export interface ReadyMessage {
  type: 'ready';
  info: ChildInfo;
}

/** Per-call timings of a batch, in call order. */
export interface Timings {
  /** Wall time of each call, nanoseconds. */
  ns: number[];
  /** CPU time (user + system) of this process during each call, microseconds. */
  cpuUs: number[];
}

export interface SamplesMessage {
  type: 'samples';
  workload: WorkloadName;
  /** The calls through `responses.create()` as the variant loaded it (patched or not). */
  calls: Timings;
  /**
   * In a patched child only: the same calls through the unpatched `create` (the wrapper's
   * `__original`), alternating with the patched ones call by call (ABBA order). Index i of both
   * arrays is a pair measured back to back in the same process.
   */
  original?: Timings;
  /** Stream events the last call delivered (0 for non-streaming). */
  events: number;
}

export interface HeapMessage {
  type: 'heap';
  calls: number;
  beforeBytes: number;
  afterBytes: number;
}

export interface StatsMessage {
  type: 'stats';
  /** Spans handed to the no-op exporter so far (proof that tracing really ran). */
  spansExported: number;
  /** Metric points recorded as seen by a collection (0 without an SDK). */
  metricStreams: number;
}

export interface ErrorMessage {
  type: 'error';
  message: string;
}

export type Reply = SamplesMessage | HeapMessage | StatsMessage | ErrorMessage;
export type ChildMessage = ReadyMessage | Reply;

/** The second bare openai 7 process, compared with the first to show the run's noise floor. */
export const AA_VARIANT = 'bare7-aa';

export const ENV_VARIANT = 'BENCH_VARIANT';
export const ENV_GATEWAY = 'BENCH_GATEWAY_URL';
