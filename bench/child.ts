/*
 * One variant's process. Started by run.ts with the variant in BENCH_VARIANT and the gateway URL
 * in BENCH_GATEWAY_URL; loads the variant (setup.ts), says `ready`, then answers commands one
 * at a time: time N calls of a workload, measure heap growth, or report telemetry counts.
 */
import { prepareVariant, type PreparedVariant } from './setup';
import {
  ENV_GATEWAY,
  ENV_VARIANT,
  type ChildMessage,
  type Command,
  type HeapCommand,
  type Reply,
  type RunCommand,
  type SamplesMessage,
  type Timings,
  type VariantSpec,
} from './protocol';
import { makeWorkloads, syntheticEvents, SYNTHETIC_EVENTS, type Call, type WorkloadSet } from './workloads';

function send(message: ChildMessage): void {
  if (!process.send) throw new Error('bench child must be started with an IPC channel');
  process.send(message);
}

interface Timed {
  ns: number;
  cpuUs: number;
  events: number;
}

async function timeOne(call: Call): Promise<Timed> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const events = await call();
  const ns = Number(process.hrtime.bigint() - start);
  const used = process.cpuUsage(cpu);
  return { ns, cpuUs: used.user + used.system, events };
}

function push(into: Timings, timed: Timed): void {
  into.ns.push(timed.ns);
  into.cpuUs.push(timed.cpuUs);
}

/** Pairs timed so far, by workload: the ABBA order continues across batches of one call. */
const pairsDone = new Map<string, number>();

/** One patched and one unpatched call back to back; which goes first alternates (ABBA). */
async function timePair(workload: string, call: Call, original: Call, patched: Timings, unpatched: Timings): Promise<number> {
  const n = pairsDone.get(workload) ?? 0;
  pairsDone.set(workload, n + 1);
  if (n % 2 === 1) push(unpatched, await timeOne(original));
  const timed = await timeOne(call);
  push(patched, timed);
  if (n % 2 === 0) push(unpatched, await timeOne(original));
  return timed.events;
}

/** `calls` calls; with `original`, calls/2 pairs of a patched and an unpatched call. */
async function timeCalls(workload: string, call: Call, original: Call | undefined, calls: number): Promise<Omit<SamplesMessage, 'type' | 'workload'>> {
  const patched: Timings = { ns: [], cpuUs: [] };
  const unpatched: Timings = { ns: [], cpuUs: [] };
  let events = 0;
  const iterations = original ? Math.max(1, Math.round(calls / 2)) : calls;
  for (let i = 0; i < iterations; i++) {
    if (original) {
      events = await timePair(workload, call, original, patched, unpatched);
    } else {
      const timed = await timeOne(call);
      push(patched, timed);
      events = timed.events;
    }
  }
  return { calls: patched, ...(original ? { original: unpatched } : {}), events };
}

function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('heap measurement needs node --expose-gc');
  gc();
  // Let FinalizationRegistry callbacks and other queued work run, then collect what they freed.
  return new Promise((resolve) =>
    setImmediate(() => {
      gc();
      resolve();
    }),
  );
}

async function settledHeap(variant: PreparedVariant): Promise<number> {
  // The span queue is bounded by the BatchSpanProcessor; empty it so only retained memory counts.
  await variant.telemetry?.flush();
  await collectGarbage();
  return process.memoryUsage().heapUsed;
}

async function measureHeap(variant: PreparedVariant, work: WorkloadSet, cmd: HeapCommand): Promise<Reply> {
  for (let i = 0; i < cmd.warmup; i++) await work.smallStream();
  const beforeBytes = await settledHeap(variant);
  for (let i = 0; i < cmd.calls; i++) await work.smallStream();
  const afterBytes = await settledHeap(variant);
  return { type: 'heap', calls: cmd.calls, beforeBytes, afterBytes };
}

async function run(work: WorkloadSet, cmd: RunCommand): Promise<Reply> {
  if (cmd.primer) await work.calls[cmd.workload]();
  const timings = await timeCalls(cmd.workload, work.calls[cmd.workload], work.original?.[cmd.workload], cmd.calls);
  return { type: 'samples', workload: cmd.workload, ...timings };
}

async function stats(variant: PreparedVariant): Promise<Reply> {
  await variant.telemetry?.flush();
  return {
    type: 'stats',
    spansExported: variant.telemetry?.spansExported() ?? 0,
    metricStreams: variant.telemetry?.metricStreamsExported() ?? 0,
  };
}

function answer(variant: PreparedVariant, work: WorkloadSet, cmd: Command): Promise<Reply> {
  switch (cmd.type) {
    case 'run':
      return run(work, cmd);
    case 'heap':
      return measureHeap(variant, work, cmd);
    case 'stats':
      return stats(variant);
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env[ENV_VARIANT] ?? 'null') as VariantSpec | null;
  const gatewayUrl = process.env[ENV_GATEWAY];
  if (!spec || !gatewayUrl) throw new Error(`${ENV_VARIANT} and ${ENV_GATEWAY} must be set`);
  const variant = await prepareVariant(spec);
  const events = syntheticEvents(SYNTHETIC_EVENTS);
  const work = makeWorkloads(variant.pkg, gatewayUrl, events, variant.original);
  process.on('message', (cmd: Command) => {
    answer(variant, work, cmd).then(send, (error: unknown) =>
      send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  send({
    type: 'ready',
    info: { openaiVersion: variant.pkg.version, patched: variant.patched, otel: variant.otel, syntheticEvents: events.length },
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
