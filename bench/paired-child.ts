/*
 * The child of the paired measurement (see paired.ts): sets up one configuration and its four
 * variants (paired-setup.ts), runs the rounds and sends the per-round figures back.
 */
import {
  ENV_PAIRED,
  PAIRED_VARIANTS,
  PAIRED_WORKLOADS,
  type PairedJob,
  type PairedMessage,
  type PairedResult,
  type PairedVariant,
  type PairedWorkload,
  type RoundSeries,
} from './paired';
import { makeCalls, setUpVariants } from './paired-setup';
import { packageVersion } from './paths';
import type { Call } from './workloads';
import { xorshift } from './stats';

function send(message: PairedMessage): void {
  if (!process.send) throw new Error('paired child must be started with an IPC channel');
  process.send(message);
}

interface Totals {
  cpuUs: number;
  wallNs: number;
  calls: number;
  events: number;
}

async function timeHalf(call: Call, calls: number, into: Totals): Promise<void> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  let events = 0;
  for (let i = 0; i < calls; i++) events = await call();
  into.wallNs += Number(process.hrtime.bigint() - start);
  const used = process.cpuUsage(cpu);
  into.cpuUs += used.user + used.system;
  into.calls += calls;
  into.events = events;
}

/**
 * The variant order of a round, shuffled (Fisher-Yates, seeded by the round): every variant
 * gets every position and every neighbour, so whatever a call leaves behind (garbage to
 * collect) does not always land on the same variant.
 */
function order(round: number): PairedVariant[] {
  const random = xorshift(0x2545f491 ^ Math.imul(round + 1000, 2654435761));
  const out = [...PAIRED_VARIANTS];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as PairedVariant, out[i] as PairedVariant];
  }
  return out;
}

/** One workload of one round: forward half, backward half (ABBA). */
async function runWorkload(calls: Record<PairedVariant, Call>, perVariant: number, round: number): Promise<Record<PairedVariant, Totals>> {
  const totals = Object.fromEntries(PAIRED_VARIANTS.map((v) => [v, { cpuUs: 0, wallNs: 0, calls: 0, events: 0 }])) as Record<PairedVariant, Totals>;
  const forward = order(round);
  const half = Math.max(1, Math.floor(perVariant / 2));
  for (const v of [...forward, ...forward.slice().reverse()]) await timeHalf(calls[v], half, totals[v]);
  return totals;
}

function emptySeries(): Record<PairedWorkload, Record<PairedVariant, RoundSeries>> {
  const series = (): Record<PairedVariant, RoundSeries> => {
    const out: Partial<Record<PairedVariant, RoundSeries>> = {};
    for (const v of PAIRED_VARIANTS) out[v] = { cpuUs: [], wallUs: [] };
    return out as Record<PairedVariant, RoundSeries>;
  };
  return { create: series(), stream: series() };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.env[ENV_PAIRED] ?? 'null') as PairedJob | null;
  if (!job) throw new Error(`${ENV_PAIRED} must be set`);
  const variants = await setUpVariants(job.config);
  const calls = makeCalls(variants, job.gatewayUrl, job.settings.streamEvents);
  const series = emptySeries();
  const callsPerVariant: Record<PairedWorkload, number> = { create: 0, stream: 0 };
  let streamEvents = 0;
  const started = Date.now();
  let lastProgress = started;
  const { rounds, warmupRounds } = job.settings;
  // The stream workload runs in every `streamEvery`-th round, until it has its rounds.
  const streamEvery = Math.max(1, Math.floor(rounds.create / Math.max(1, rounds.stream)));
  const measured: Record<PairedWorkload, number> = { create: 0, stream: 0 };
  for (let round = -warmupRounds; round < rounds.create; round++) {
    for (const workload of PAIRED_WORKLOADS) {
      const warmup = round < 0;
      if (workload === 'stream' && !warmup && (round % streamEvery !== 0 || measured.stream >= rounds.stream)) continue;
      const totals = await runWorkload(calls[workload], job.settings.calls[workload], round);
      callsPerVariant[workload] += totals.bare.calls;
      if (workload === 'stream') streamEvents = totals.bare.events;
      if (warmup) continue;
      measured[workload]++;
      for (const v of PAIRED_VARIANTS) {
        const t = totals[v];
        series[workload][v].cpuUs.push(t.cpuUs / t.calls);
        series[workload][v].wallUs.push(t.wallNs / 1000 / t.calls);
      }
    }
    if (Date.now() - lastProgress > 30_000) {
      lastProgress = Date.now();
      send({ type: 'progress', round: round + 1, rounds: rounds.create });
    }
  }
  const seconds = (Date.now() - started) / 1000;
  await variants.telemetry?.flush();
  const result: PairedResult = {
    config: job.config,
    settings: job.settings,
    seconds,
    streamEvents,
    series,
    info: {
      openaiVersion: variants.pkg.version,
      otel: {
        ...(variants.telemetry?.versions ?? { '@opentelemetry/api': packageVersion('work', '@opentelemetry/api') ?? 'unknown' }),
        '@opentelemetry/instrumentation-openai': packageVersion('work', '@opentelemetry/instrumentation-openai') ?? 'unknown',
      },
      spansByScope: variants.telemetry?.spansByScope() ?? {},
      attributeCounts: variants.telemetry?.attributeCounts() ?? {},
      logRecords: variants.telemetry?.logRecordsExported() ?? 0,
      callsPerVariant,
    },
  };
  send({ type: 'result', result });
}

main().catch((error: unknown) => {
  send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
});
