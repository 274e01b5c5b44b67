/*
 * The paired in-process measurement (bench/README.md). One process per SDK configuration holds every
 * variant around the same unpatched `Responses.prototype.create` of openai 6 (the newest major
 * the official instrumentation supports):
 *
 *   bare      the unpatched `create` itself
 *   bare-aa   the same function again: the A/A check (its "added" figures show the noise)
 *   floor     floor.ts: startSpan + 12 attributes, context.with, W3C injection, 8 response
 *             attributes, end(), 3 histogram records
 *   floor-wide the floor with 6 more response attributes: as many span attributes as this
 *             package's default non-streaming span on the bench gateway (25, three of them from
 *             the gateway's headers), which puts the SDK's attribute object past the 19
 *             properties V8 keeps in fast mode, as ours is
 *   ours      BudResponsesInstrumentation's wrapper (patch() on the loaded module, kept there)
 *   official  @opentelemetry/instrumentation-openai's wrapper, obtained the same way
 *
 * and runs them in rounds: in a round, a workload gives every variant `calls` calls in two
 * halves placed ABBA-wise (the variant order forward, then backward; the order is shuffled
 * every round, seeded, so every variant takes every position and has every neighbour: with a
 * fixed rotation each variant kept the same neighbours, and an A/A pair showed the one next to
 * `ours` ~30 µs dearer, most likely paying for its garbage collection). Per half the child reads
 * `process.cpuUsage()` and the wall clock; a round's figure is the per-call mean of its two
 * halves. Differences are paired by round (report: paired-report.ts). The default is 2 calls
 * per round (halves of one call: A B C D D C B A), many rounds: on a loaded machine, per-call
 * interleaving gave intervals about half as wide as halves of 4 calls for the same calls.
 *
 * Configurations: `sdk` (tracer provider with a BatchSpanProcessor, meter provider with a
 * periodic reader, AsyncLocalStorage context manager, W3C propagators; no LoggerProvider),
 * `sdk+logs` (the same plus a LoggerProvider with a BatchLogRecordProcessor; the official
 * instrumentation emits log records; this package gets it too, as `registerInstrumentations`
 * gives it, with its opt-in details event off), `sdk+events` (the same with this package's
 * `gen_ai.client.inference.operation.details` event on: `emitOperationDetails: true`) and
 * `no-provider` (no SDK, no global provider of any kind: both instrumentations enabled on the
 * API's no-op providers).
 *
 * This file is the coordinator's side; the child is paired-child.ts.
 */
import { fork } from 'node:child_process';
import * as path from 'node:path';

export type PairedConfigName = 'sdk' | 'sdk+logs' | 'sdk+events' | 'no-provider';
export type PairedVariant = 'bare' | 'bare-aa' | 'floor' | 'floor-wide' | 'ours' | 'official';
/** `create`: non-streaming over the loopback gateway. `stream`: the synthetic in-process Stream. */
export type PairedWorkload = 'create' | 'stream';

export const PAIRED_CONFIGS: readonly PairedConfigName[] = ['sdk', 'sdk+logs', 'sdk+events', 'no-provider'];
export const PAIRED_VARIANTS: readonly PairedVariant[] = ['bare', 'bare-aa', 'floor', 'floor-wide', 'ours', 'official'];
export const PAIRED_WORKLOADS: readonly PairedWorkload[] = ['create', 'stream'];

export const PAIRED_CONFIG_TITLES: Record<PairedConfigName, string> = {
  sdk: 'SDK: BatchSpanProcessor + metric reader, no LoggerProvider',
  'sdk+logs': 'SDK with a LoggerProvider (BatchLogRecordProcessor)',
  'sdk+events': 'SDK with a LoggerProvider, and this package\'s details event on (emitOperationDetails)',
  'no-provider': 'no provider at all (API no-ops), instrumentations enabled',
};

export interface PairedSettings {
  /** Measured rounds per configuration, by workload (the stream rounds are spread evenly among the create rounds). */
  rounds: Record<PairedWorkload, number>;
  /** Unmeasured rounds first (JIT, connection pool, lazy initialisation). */
  warmupRounds: number;
  /** Calls per variant per round, by workload (even: two ABBA halves). */
  calls: Record<PairedWorkload, number>;
  /** Events per synthetic stream. */
  streamEvents: number;
}

/** Per-call means, one entry per measured round. */
export interface RoundSeries {
  cpuUs: number[];
  wallUs: number[];
}

export interface PairedChildInfo {
  openaiVersion: string;
  otel: Record<string, string>;
  /** Spans exported by instrumentation scope (empty without an SDK). */
  spansByScope: Record<string, number>;
  /** Attribute counts of the exported spans, by scope and span name. */
  attributeCounts: Record<string, number[]>;
  logRecords: number;
  /** Calls each variant made in all (warm-up included), by workload. */
  callsPerVariant: Record<PairedWorkload, number>;
}

export interface PairedResult {
  config: PairedConfigName;
  settings: PairedSettings;
  info: PairedChildInfo;
  seconds: number;
  /** Stream events per call of the `stream` workload. */
  streamEvents: number;
  series: Record<PairedWorkload, Record<PairedVariant, RoundSeries>>;
}

export type PairedMessage =
  | { type: 'progress'; round: number; rounds: number }
  | { type: 'result'; result: PairedResult }
  | { type: 'error'; message: string };

export const ENV_PAIRED = 'BENCH_PAIRED';

export interface PairedJob {
  config: PairedConfigName;
  settings: PairedSettings;
  gatewayUrl: string;
}

const CHILD = path.join(__dirname, 'paired-child.js');

/** Runs one configuration in a fresh child and resolves with its rounds. */
export function runPairedConfig(job: PairedJob, log: (line: string) => void): Promise<PairedResult> {
  const child = fork(CHILD, [], { env: { ...process.env, [ENV_PAIRED]: JSON.stringify(job) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let result: PairedResult | undefined;
    child.on('message', (message: PairedMessage) => {
      if (message.type === 'progress') log(`    ${job.config}: ${message.round}/${message.rounds} rounds`);
      else if (message.type === 'error') reject(new Error(`paired ${job.config}: ${message.message}`));
      else {
        result = message.result;
        child.disconnect();
      }
    });
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`paired ${job.config}: child exited (${String(code)})`))));
  });
}
