/*
 * Where module hooks cannot see `openai`: an esbuild bundle (openai and this package inlined)
 * run by Node.js, Bun and Deno, and the same application unbundled under Bun and Deno (Deno with
 * `npm:` specifiers), each against the embedded gateway. Without `manuallyInstrument()` there is
 * no telemetry and the diag hint says why; with it, the telemetry of the hooked path.
 *
 * The application is test/fixtures/runtimes/app.mjs; it prints its spans and metrics as one JSON
 * line. It is bundled once per run into a temp folder, which also holds a small project for the
 * unbundled runs: a node_modules with this package (package.json and build/src, copied) and
 * links to the openai and @opentelemetry copies this test process resolves (so a matrix cell's
 * versions). Bun and Deno are the dev dependencies `bun` and `deno`; their binaries come from
 * the platform packages. Nothing reaches the network: Deno runs with --cached-only and a
 * DENO_DIR in the temp folder, Bun with --no-install.
 */
import * as assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { gateway } from './harness';
import { OtlpReceiver } from './fixtures/register/otlp-receiver';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'runtimes');
const REGISTER_FIXTURES = path.join(ROOT, 'test', 'fixtures', 'register');
const PACKAGE = '@budecosystem/instrumentation-responses';
const HINT = /no openai module has been instrumented; this looks like ([^,]+), where module hooks do not see openai/;

interface AppOutput {
  runtime: string;
  responseId: string;
  events: number;
  spans: Array<{ name: string; kind: number; status: number; scope: string; attributes: Record<string, unknown> }>;
  metrics: Array<{ name: string; points: Array<{ attributes: Record<string, unknown>; count?: number }> }>;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd, env: { ...process.env, ...env }, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function output(result: Run): AppOutput {
  assert.equal(result.code, 0, `the app failed:\n${result.stderr}`);
  const line = result.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as AppOutput;
}

/** No telemetry at all, and the hint naming the environment. */
function assertUntracedWithHint(result: Run, environment: string): void {
  const out = output(result);
  assert.deepEqual(out.spans, [], 'no span without the manual call');
  assert.deepEqual(out.metrics, [], 'no metric without the manual call');
  assert.equal(out.events > 0, true, 'the app itself worked');
  assert.equal(HINT.exec(result.stderr)?.[1], environment, `the diag hint; stderr was:\n${result.stderr}`);
}

/** The telemetry of the hooked path for one plain and one streamed call, and no hint. */
function assertFullTelemetry(result: Run, runtime: string): void {
  const out = output(result);
  assert.equal(out.runtime, runtime);
  assert.deepEqual(
    out.spans.map((s) => s.name),
    ['responses', 'responses.stream'],
  );
  for (const span of out.spans) {
    assert.equal(span.kind, 2, 'CLIENT');
    assert.equal(span.status, 1, `${span.name} ends OK`);
    assert.equal(span.scope, PACKAGE);
  }
  const [plain, streamed] = out.spans;
  const a = plain.attributes;
  assert.equal(a['gen_ai.system'], 'bud');
  assert.equal(a['gen_ai.operation.name'], 'responses');
  assert.equal(a['openai.api.type'], 'responses');
  assert.equal(a['gen_ai.request.model'], 'runtime-model');
  assert.equal(a['gen_ai.request.temperature'], 0.25);
  assert.equal(a['gen_ai.response.id'], out.responseId);
  assert.deepEqual(a['gen_ai.response.finish_reasons'], ['stop']);
  assert.equal(typeof a['gen_ai.usage.input_tokens'], 'number');
  assert.equal(a['server.address'], '127.0.0.1');
  assert.equal(a['server.port'], gateway().port);
  const s = streamed.attributes;
  assert.equal(s['gen_ai.request.stream'], true);
  assert.equal(s['bud.inference.stream_completed'], true);
  assert.equal(s['bud.inference.chunks'], out.events);
  assert.equal(typeof s['bud.inference.ttft_ms'], 'number');
  assert.equal(typeof s['gen_ai.usage.output_tokens'], 'number');

  const counts = Object.fromEntries(out.metrics.map((m) => [m.name, m.points.reduce((n, p) => n + (p.count ?? 0), 0)]));
  assert.deepEqual(counts, {
    'gen_ai.client.operation.duration': 2,
    'gen_ai.client.token.usage': 4,
    'gen_ai.client.operation.time_to_first_chunk': 1,
  });
  const duration = out.metrics.find((m) => m.name === 'gen_ai.client.operation.duration');
  assert.equal(duration?.points[0].attributes['gen_ai.request.model'], 'runtime-model');
  assert.doesNotMatch(result.stderr, HINT, 'no hint once openai is instrumented');
}

/** The runtime's binary from its platform package (or where the install script moved it), if it runs here. */
function runtimeBinary(candidates: string[]): string | undefined {
  for (const candidate of candidates) {
    try {
      if (!existsSync(candidate) || statSync(candidate).size < 1_000_000) continue; // bun's placeholder is a text file
      execFileSync(candidate, ['--version'], { stdio: 'ignore', timeout: 30_000 });
      return candidate;
    } catch {
      /* not runnable here: try the next one */
    }
  }
  return undefined;
}

const modules = path.join(ROOT, 'node_modules');
const ARCH: Record<string, string> = { x64: 'x64', arm64: 'aarch64' };
const BUN = runtimeBinary([
  path.join(modules, '@oven', `bun-${process.platform}-${ARCH[process.arch] ?? process.arch}`, 'bin', 'bun'),
  path.join(modules, 'bun', 'bin', 'bun.exe'),
]);
const DENO = runtimeBinary([
  path.join(modules, '@deno', `${process.platform}-${process.arch}-glibc`, 'deno'),
  path.join(modules, '@deno', `${process.platform}-${process.arch}`, 'deno'),
  path.join(modules, 'deno', 'deno'),
]);

/** Environment that keeps Bun and Deno off the network and out of the user's caches. */
function quietEnv(work: string): Record<string, string> {
  return {
    DENO_DIR: path.join(work, 'deno-dir'),
    DENO_NO_UPDATE_CHECK: '1',
    DENO_NO_PROMPT: '1',
    DO_NOT_TRACK: '1',
    BUN_INSTALL_CACHE_DIR: path.join(work, 'bun-cache'),
  };
}

const DENO_FLAGS = ['run', '--allow-all', '--node-modules-dir=manual', '--cached-only', '--no-remote'];

describe('bundled application, Bun and Deno: manuallyInstrument()', function () {
  this.timeout(120_000);
  let work: string;
  let bundle: string;
  let project: string;

  before(async function () {
    this.timeout(120_000);
    work = mkdtempSync(path.join(tmpdir(), 'bud-runtimes-'));
    const bundleDir = path.join(work, 'bundle');
    bundle = path.join(bundleDir, 'app.bundle.mjs');
    await build({
      entryPoints: [path.join(FIXTURES, 'app.mjs')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: bundle,
      alias: { [PACKAGE]: path.join(ROOT, 'build', 'src', 'index.js') },
      // CommonJS code inside an ESM bundle needs a real `require` for Node.js built-ins.
      banner: { js: "import { createRequire as __budRequire } from 'node:module'; const require = __budRequire(import.meta.url);" },
      logLevel: 'error',
    });
    project = makeProject(path.join(work, 'project'));
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A project folder as a user's, with its own node_modules (see the header comment). */
  function makeProject(dir: string): string {
    const nm = path.join(dir, 'node_modules');
    const own = path.join(nm, '@budecosystem', 'instrumentation-responses');
    mkdirSync(path.join(own, 'build'), { recursive: true });
    cpSync(path.join(ROOT, 'package.json'), path.join(own, 'package.json'));
    cpSync(path.join(ROOT, 'build', 'src'), path.join(own, 'build', 'src'), { recursive: true });
    for (const name of ['openai', '@opentelemetry']) symlinkSync(realpathSync(path.join(modules, name)), path.join(nm, name));
    writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: 'runtime-app', private: true, type: 'module', dependencies: { [PACKAGE]: '*', openai: '*' } }),
    );
    cpSync(path.join(FIXTURES, 'app.mjs'), path.join(dir, 'app.mjs'));
    // The same app with Deno's `npm:` specifiers.
    const source = readFileSync(path.join(FIXTURES, 'app.mjs'), 'utf8');
    writeFileSync(path.join(dir, 'app.deno.mjs'), source.replace(/from '((?:@[a-z-]+\/)?[a-z-]+(?:\/[a-z-]+)?)'/g, "from 'npm:$1'"));
    // The register entry's fixture apps (no telemetry code); both load './calls.cjs'.
    for (const file of ['app.cjs', 'app.mjs']) cpSync(path.join(REGISTER_FIXTURES, file), path.join(dir, `register-${file}`));
    cpSync(path.join(REGISTER_FIXTURES, 'calls.cjs'), path.join(dir, 'calls.cjs'));
    return dir;
  }

  const env = (manual?: string): Record<string, string> => ({
    ...quietEnv(work),
    GATEWAY_URL: gateway().url,
    ...(manual ? { BUD_MANUAL: manual } : {}),
  });

  describe('Node.js, esbuild bundle with openai and this package inlined', () => {
    it('no telemetry without the manual call, and the diag hint says why', async () => {
      assertUntracedWithHint(await run(process.execPath, [bundle], env(), path.dirname(bundle)), 'a bundled application');
    });
    for (const target of ['module', 'class', 'client']) {
      it(`full telemetry with manuallyInstrument(${target})`, async () => {
        assertFullTelemetry(await run(process.execPath, [bundle], env(target), path.dirname(bundle)), 'node');
      });
    }
  });

  describe('Bun', () => {
    before(function () {
      // The `bun` dev dependency ships no binary for this platform.
      if (!BUN) this.skip();
    });
    const bun = (args: string[], manual: string | undefined, cwd: string) => run(BUN!, ['--no-install', ...args], env(manual), cwd);

    it('the bundle: no telemetry and the hint without the manual call', async () => {
      assertUntracedWithHint(await bun([bundle], undefined, path.dirname(bundle)), 'Bun');
    });
    it('the bundle: full telemetry with manuallyInstrument(module)', async () => {
      assertFullTelemetry(await bun([bundle], 'module', path.dirname(bundle)), 'bun');
    });
    it('openai imported from node_modules: no telemetry and the hint without the manual call', async () => {
      assertUntracedWithHint(await bun(['app.mjs'], undefined, project), 'Bun');
    });
    it('openai imported from node_modules: full telemetry with manuallyInstrument(class)', async () => {
      assertFullTelemetry(await bun(['app.mjs'], 'class', project), 'bun');
    });
  });

  describe('Deno', () => {
    before(function () {
      // The `deno` dev dependency ships no binary for this platform.
      if (!DENO) this.skip();
    });
    const deno = (args: string[], manual: string | undefined, cwd: string) => run(DENO!, [...DENO_FLAGS, ...args], env(manual), cwd);

    it('the bundle: no telemetry and the hint without the manual call', async () => {
      assertUntracedWithHint(await deno([bundle], undefined, path.dirname(bundle)), 'Deno');
    });
    it('the bundle: full telemetry with manuallyInstrument(class)', async () => {
      assertFullTelemetry(await deno([bundle], 'class', path.dirname(bundle)), 'deno');
    });
    it('npm: specifiers: no telemetry and the hint without the manual call', async () => {
      assertUntracedWithHint(await deno(['app.deno.mjs'], undefined, project), 'Deno');
    });
    it('npm: specifiers: full telemetry with manuallyInstrument(module)', async () => {
      assertFullTelemetry(await deno(['app.deno.mjs'], 'module', project), 'deno');
    });
  });

  describe('the zero-code register entry preloaded by Bun and Deno', () => {
    let receiver: OtlpReceiver;
    let runs = 0;
    before(async function () {
      if (!existsSync(path.join(modules, '@opentelemetry', 'sdk-node'))) this.skip(); // the entry's peer dependency
      receiver = await OtlpReceiver.start();
    });
    after(async () => receiver?.close());

    function otlpEnv(): Record<string, string> & { OTEL_SERVICE_NAME: string } {
      return {
        ...env(),
        OTEL_SERVICE_NAME: `runtime-register-${++runs}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_LOGS_EXPORTER: 'none',
      };
    }
    const ourSpanNames = (service: string) =>
      receiver
        .spans(service)
        .filter((s) => s.scope === PACKAGE)
        .map((s) => s.name)
        .sort();

    it('bun --preload <pkg>/register: a CommonJS app (require) is traced with no code change', async function () {
      if (!BUN) this.skip(); // no bun binary for this platform
      const e = otlpEnv();
      const result = await run(BUN, ['--no-install', '--preload', `${PACKAGE}/register`, 'register-app.cjs'], e, project);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(ourSpanNames(e.OTEL_SERVICE_NAME), ['responses', 'responses.stream']);
      assert.doesNotMatch(result.stderr, HINT);
      // The app was traced: no word about ESM imports either (the hint covers an untraced one).
      assert.doesNotMatch(result.stderr, /ESM imports of openai/);
    });

    it('bun --preload <pkg>/register: an ESM app (import) is not traced, and the hint says so', async function () {
      if (!BUN) this.skip(); // no bun binary for this platform
      const e = otlpEnv();
      const result = await run(BUN, ['--no-install', '--preload', `${PACKAGE}/register`, 'register-app.mjs'], e, project);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(ourSpanNames(e.OTEL_SERVICE_NAME), []);
      assert.equal(HINT.exec(result.stderr)?.[1], 'Bun');
    });

    it('deno run --preload npm:<pkg>/register: a CommonJS app (require) is traced with no code change', async function () {
      if (!DENO) this.skip(); // no deno binary for this platform
      const e = otlpEnv();
      const result = await run(DENO, [...DENO_FLAGS, '--preload', `npm:${PACKAGE}/register`, 'register-app.cjs'], e, project);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(ourSpanNames(e.OTEL_SERVICE_NAME), ['responses', 'responses.stream']);
      assert.doesNotMatch(result.stderr, HINT);
      // The app was traced: no word about ESM imports either (the hint covers an untraced one).
      assert.doesNotMatch(result.stderr, /ESM imports of openai/);
    });
  });
});
