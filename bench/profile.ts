/*
 * `node build/bench/profile.js <variant> <workload> [calls]`
 *
 * Runs one variant's workload in a child process under `node --cpu-prof`, then prints where
 * the CPU time went: the top functions by self time; the wrapper's own functions (build/src,
 * the floor's build/bench/floor.js or the official instrumentation) by self and inclusive time, and their hottest lines
 * mapped back to the .ts sources; and the self time of everything the wrapper calls (the OTel
 * SDK included, the wrapped openai method excluded).
 *
 * Variants: the ids of variants.ts (one process per variant, workloads create | stream |
 * synthetic), or a paired variant `<bare|floor|floor-wide|ours|official>@<sdk|sdk+logs|sdk+events|no-provider>`
 * (paired-setup.ts, openai 6; workloads create | synthetic).
 * Profiles are kept in bench/.work/profiles/ (open them in Chrome DevTools or VS Code).
 */
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { startGateway } from '../gateway/server';
import { ROOT, WORK_DIR } from './paths';
import { PAIRED_CONFIGS, PAIRED_VARIANTS, type PairedConfigName, type PairedVariant } from './paired';
import { makeCalls, setUpVariants } from './paired-setup';
import type { WorkloadName } from './protocol';
import { prepareVariant } from './setup';
import { originalLine } from './sourcemap';
import { VARIANTS } from './variants';
import { makeWorkloads, syntheticEvents, SYNTHETIC_EVENTS } from './workloads';

const CHILD_FLAG = 'BENCH_PROFILE_CHILD';
const PROFILE_DIR = path.join(WORK_DIR, 'profiles');

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
  hitCount?: number;
  /** Samples by 1-based line of the compiled file. */
  positionTicks?: Array<{ line: number; ticks: number }>;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

interface Args {
  variant: string;
  workload: WorkloadName;
  calls: number;
}

function pairedVariant(id: string): { variant: PairedVariant; config: PairedConfigName } | undefined {
  const [variant, config] = id.split('@');
  const v = PAIRED_VARIANTS.find((x) => x === variant);
  const c = PAIRED_CONFIGS.find((x) => x === config);
  return v && c ? { variant: v, config: c } : undefined;
}

function parseArgs(argv: readonly string[]): Args {
  const [variant = 'ours7', workload = 'synthetic', calls] = argv;
  if (!VARIANTS.some((v) => v.id === variant) && !pairedVariant(variant)) throw new Error(`unknown variant ${variant}`);
  if (workload !== 'create' && workload !== 'stream' && workload !== 'synthetic') throw new Error(`unknown workload ${workload}`);
  return { variant, workload, calls: Number(calls ?? (workload === 'create' ? 3000 : workload === 'stream' ? 300 : 60)) };
}

/** The workload's call and a flush, set up in this process. */
async function prepare(args: Args, gatewayUrl: string): Promise<{ call: () => Promise<number>; flush: () => Promise<void> }> {
  const paired = pairedVariant(args.variant);
  if (paired) {
    const variants = await setUpVariants(paired.config);
    const calls = makeCalls(variants, gatewayUrl, SYNTHETIC_EVENTS);
    return { call: calls[args.workload === 'create' ? 'create' : 'stream'][paired.variant], flush: async () => variants.telemetry?.flush() };
  }
  const spec = VARIANTS.find((v) => v.id === args.variant);
  if (!spec) throw new Error(`unknown variant ${args.variant}`);
  const variant = await prepareVariant(spec);
  return { call: makeWorkloads(variant.pkg, gatewayUrl, syntheticEvents(SYNTHETIC_EVENTS)).calls[args.workload], flush: async () => variant.telemetry?.flush() };
}

/** Child side: set the variant up in this process and run the workload. */
async function profiled(args: Args): Promise<void> {
  const gateway = await startGateway();
  const { call, flush } = await prepare(args, gateway.url);
  for (let i = 0; i < args.calls; i++) {
    await call();
    if (i % 50 === 0) gateway.reset();
  }
  await flush();
  await gateway.close();
}

function label(frame: CallFrame): string {
  const file = frame.url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '').replace(/^.*\/node_modules\//, '');
  return `${frame.functionName || '(anonymous)'} ${file ? `${file}:${frame.lineNumber + 1}` : ''}`.trim();
}

function selfTimes(profile: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  return self;
}

function inclusiveTimes(profile: CpuProfile, self: Map<number, number>): Map<number, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const total = new Map<number, number>();
  const visit = (id: number): number => {
    const known = total.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    const sum = (self.get(id) ?? 0) + (node?.children ?? []).reduce((acc, child) => acc + visit(child), 0);
    total.set(id, sum);
    return sum;
  };
  profile.nodes.forEach((n) => visit(n.id));
  return total;
}

/** Times by function label (a function reached through several call paths is summed). */
function byLabel(profile: CpuProfile, times: Map<number, number>, filter: (frame: CallFrame) => boolean): Map<string, number> {
  const out = new Map<string, number>();
  for (const node of profile.nodes) {
    if (!filter(node.callFrame)) continue;
    const key = label(node.callFrame);
    out.set(key, (out.get(key) ?? 0) + (times.get(node.id) ?? 0));
  }
  return out;
}

/** The openai SDK's own code (the wrapped method, body parsing) and the benchmark's event source. */
function isOthersWork(frame: CallFrame): boolean {
  return frame.url.includes('/node_modules/openai/') || frame.url.includes('/build/bench/');
}

/**
 * Self time of every node that runs on behalf of this package: below a build/src frame, but not
 * inside the openai SDK's own code or the benchmark's (what the wrapped method itself does).
 */
function underOurs(profile: CpuProfile, self: Map<number, number>, ours: (frame: CallFrame) => boolean): Map<number, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const children = new Set(profile.nodes.flatMap((n) => n.children ?? []));
  const out = new Map<number, number>();
  const walk = (id: number, inside: boolean): void => {
    const node = byId.get(id);
    if (!node) return;
    const now = ours(node.callFrame) || (inside && !isOthersWork(node.callFrame));
    if (now) out.set(id, self.get(id) ?? 0);
    for (const child of node.children ?? []) walk(child, now);
  };
  profile.nodes.filter((n) => !children.has(n.id)).forEach((root) => walk(root.id, false));
  return out;
}

function top(times: Map<string, number>, totalUs: number, count: number): string[] {
  return [...times.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, us]) => `${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(1).padStart(8)} ms  ${key}`);
}

/** The hottest lines of this package, mapped back to src/*.ts through the source maps. */
function hotLines(profile: CpuProfile, ours: (frame: CallFrame) => boolean, totalUs: number, count: number): string[] {
  const usPerTick = totalUs / Math.max(1, profile.samples.length);
  const ticks = new Map<string, number>();
  for (const node of profile.nodes) {
    if (!ours(node.callFrame)) continue;
    const jsFile = node.callFrame.url.replace(/^file:\/\//, '');
    for (const { line, ticks: n } of node.positionTicks ?? []) {
      const source = originalLine(jsFile, line);
      const key = source ? `${path.relative(ROOT, source.file)}:${source.line}  ${source.text}` : `${path.relative(ROOT, jsFile)}:${line}`;
      ticks.set(key, (ticks.get(key) ?? 0) + n);
    }
  }
  return top(new Map([...ticks].map(([key, n]) => [key, n * usPerTick])), totalUs, count);
}

function summarize(file: string): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const self = selfTimes(profile);
  const totalUs = [...self.values()].reduce((a, b) => a + b, 0);
  const own = `${ROOT}/build/src/`;
  const floor = `${ROOT}/build/bench/floor.js`;
  const ours = (frame: CallFrame) => {
    const file = frame.url.replace(/^file:\/\//, '');
    return file.startsWith(own) || file === floor || file.includes('/@opentelemetry/instrumentation-openai/');
  };
  console.log(`profile ${file}: ${(totalUs / 1000).toFixed(0)} ms sampled`);
  console.log('\ntop self time, all code:');
  console.log(top(byLabel(profile, self, () => true), totalUs, 25).join('\n'));
  console.log('\nthe wrapper (build/src, the floor or the official instrumentation), self time:');
  console.log(top(byLabel(profile, self, ours), totalUs, 20).join('\n'));
  console.log('\nthe wrapper (build/src, the floor or the official instrumentation), inclusive time:');
  console.log(top(byLabel(profile, inclusiveTimes(profile, self), ours), totalUs, 20).join('\n'));
  console.log('\nthe wrapper, hottest source lines (self time):');
  console.log(hotLines(profile, ours, totalUs, 25).join('\n'));
  const attributable = underOurs(profile, self, ours);
  const attributableUs = [...attributable.values()].reduce((a, b) => a + b, 0);
  console.log(`\nself time of everything called from the wrapper (${((100 * attributableUs) / totalUs).toFixed(1)}% of all):`);
  console.log(top(byLabel(profile, attributable, () => true), totalUs, 25).join('\n'));
}

function runProfiledChild(args: Args): Promise<string> {
  mkdirSync(PROFILE_DIR, { recursive: true });
  const name = `${args.variant}-${args.workload}-${Date.now()}.cpuprofile`;
  const child = fork(__filename, [args.variant, args.workload, String(args.calls)], {
    env: { ...process.env, [CHILD_FLAG]: '1' },
    execArgv: ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}`],
  });
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => (code === 0 ? resolve(path.join(PROFILE_DIR, name)) : reject(new Error(`profiled child exited ${String(code)}`))));
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (process.env[CHILD_FLAG] === '1') {
    await profiled(args);
    return;
  }
  summarize(await runProfiledChild(args));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
