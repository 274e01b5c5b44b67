/*
 * The zero-code entry `@budecosystem/instrumentation-responses/register`: its pure parts (env
 * settings, exit rule, hook registration, log lines) in-process, and the package as a user
 * installs it (npm pack + npm install) in child processes started with --require / --import,
 * exporting OTLP http/json to a local receiver.
 */
import * as assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import * as sinon from 'sinon';
import type { AddressInfo } from 'node:net';
import {
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  exporterHint,
  INPUT_FIELD_NAMES,
  OUTPUT_FIELD_NAMES,
  parseCapture,
  settingsFromEnv,
} from '../src/register/env';
import { ExitFlush, type ProcessLike } from '../src/register/exit';
import { HOOK_SPECIFIER, registerOpenAIHook } from '../src/register/hook';
import { condense, formatDiagLine } from '../src/register/logger';
import { PACKAGE_NAME } from '../src/version';
import { gateway } from './harness';
import { finished, PackedProject, printed, type RunResult } from './fixtures/register/packed-project';
import { OtlpReceiver, type ReceivedSpan } from './fixtures/register/otlp-receiver';

describe('register: settingsFromEnv', () => {
  it('defaults when nothing is set: empty config, default timeout, no warning', () => {
    assert.deepEqual(settingsFromEnv({}), {
      disabled: false,
      config: {},
      shutdownTimeoutMs: DEFAULT_SHUTDOWN_TIMEOUT_MS,
      warnings: [],
    });
  });

  it('reads true/false (any case, or 1/0) and comma lists for the capture variables', () => {
    assert.deepEqual(parseCapture('X', 'TRUE', INPUT_FIELD_NAMES), { value: true });
    assert.deepEqual(parseCapture('X', ' false ', INPUT_FIELD_NAMES), { value: false });
    assert.deepEqual(parseCapture('X', '0', INPUT_FIELD_NAMES), { value: false });
    assert.deepEqual(parseCapture('X', 'model, temperature,,input ', INPUT_FIELD_NAMES), { value: ['model', 'temperature', 'input'] });
    assert.deepEqual(parseCapture('X', '   ', INPUT_FIELD_NAMES), {});
    assert.deepEqual(parseCapture('X', undefined, INPUT_FIELD_NAMES), {});
  });

  it('a word that is neither a flag nor a field (yes, a typo) is a warning and the default, not a one-field list', () => {
    const s = settingsFromEnv({ BUD_OTEL_CAPTURE_INPUT: 'yes', BUD_OTEL_CAPTURE_OUTPUT: 'id,modle' });
    assert.deepEqual(s.config, {});
    assert.deepEqual(s.warnings, [
      `env BUD_OTEL_CAPTURE_INPUT="yes" is not true, false or a comma-separated list of field names (not a field: "yes"; fields: ${INPUT_FIELD_NAMES.join(', ')}); using the default (true)`,
      `env BUD_OTEL_CAPTURE_OUTPUT="id,modle" is not true, false or a comma-separated list of field names (not a field: "modle"; fields: ${OUTPUT_FIELD_NAMES.join(', ')}); using the default (true)`,
    ]);
    // Every name the instrumentation records is accepted, in either list.
    assert.deepEqual(parseCapture('X', INPUT_FIELD_NAMES.join(','), INPUT_FIELD_NAMES), { value: [...INPUT_FIELD_NAMES] });
    assert.deepEqual(parseCapture('X', OUTPUT_FIELD_NAMES.join(','), OUTPUT_FIELD_NAMES), { value: [...OUTPUT_FIELD_NAMES] });
  });

  it('puts valid values into the instrumentation config', () => {
    const s = settingsFromEnv({
      BUD_OTEL_CAPTURE_INPUT: 'model,input',
      BUD_OTEL_CAPTURE_OUTPUT: 'false',
      BUD_OTEL_SYSTEM: 'my-gateway',
      BUD_OTEL_SHUTDOWN_TIMEOUT_MS: '1500',
    });
    assert.deepEqual(s.config, { captureInput: ['model', 'input'], captureOutput: false, system: 'my-gateway' });
    assert.equal(s.shutdownTimeoutMs, 1500);
    assert.deepEqual(s.warnings, []);
  });

  it('one warning per invalid value, naming the variable, and the default instead', () => {
    const s = settingsFromEnv({
      BUD_OTEL_CAPTURE_INPUT: 'model;input',
      BUD_OTEL_CAPTURE_OUTPUT: ',',
      BUD_OTEL_SYSTEM: 'has space',
      BUD_OTEL_SHUTDOWN_TIMEOUT_MS: '-5',
    });
    assert.deepEqual(s.config, {});
    assert.equal(s.shutdownTimeoutMs, DEFAULT_SHUTDOWN_TIMEOUT_MS);
    assert.equal(s.warnings.length, 4);
    for (const name of ['BUD_OTEL_CAPTURE_INPUT', 'BUD_OTEL_CAPTURE_OUTPUT', 'BUD_OTEL_SYSTEM', 'BUD_OTEL_SHUTDOWN_TIMEOUT_MS']) {
      assert.ok(s.warnings.some((w) => w.includes(name) && w.includes('using the default')), name);
    }
  });

  it('OTEL_SDK_DISABLED=true (as the SDK reads it) disables the entry', () => {
    assert.equal(settingsFromEnv({ OTEL_SDK_DISABLED: 'TRUE' }).disabled, true);
    assert.equal(settingsFromEnv({ OTEL_SDK_DISABLED: 'false' }).disabled, false);
    assert.equal(settingsFromEnv({ OTEL_SDK_DISABLED: '1' }).disabled, false);
  });

  it('exporterHint names the endpoint and protocol variables', () => {
    const hint = exporterHint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
    assert.match(hint, /OTEL_EXPORTER_OTLP_ENDPOINT=http:\/\/collector:4318/);
    assert.match(hint, /OTEL_EXPORTER_OTLP_PROTOCOL=\(unset\)/);
  });
});

describe('register: one-line diagnostics', () => {
  it('keeps only the message of a JSON-encoded exception', () => {
    assert.equal(condense('{"stack":"Error: x\\n at y","message":"export failed","name":"Error"}'), 'export failed');
    assert.equal(condense('{not json'), '{not json');
    assert.equal(condense('plain'), 'plain');
  });

  it('formats a diagnostic on one line with its arguments', () => {
    const line = formatDiagLine('error', 'failed:', [new TypeError('bad\nthing'), { a: 1 }]);
    assert.equal(line, '[opentelemetry] error: failed: TypeError: bad thing { a: 1 }');
  });
});

describe('register: ESM hook registration', () => {
  it('registers the instrumentation hook for openai only, resolved from this package', () => {
    const calls: unknown[][] = [];
    assert.deepEqual(registerOpenAIHook((...args: unknown[]) => calls.push(args)), { registered: true });
    assert.equal(calls.length, 1);
    const [specifier, parent, options] = calls[0] as [string, URL, { data: { include: string[] } }];
    assert.equal(specifier, HOOK_SPECIFIER);
    assert.equal(parent.protocol, 'file:');
    assert.deepEqual(options.data, { include: ['openai'] });
  });

  it('reports, never throws, without module.register or when it fails', () => {
    assert.equal(registerOpenAIHook(undefined).registered, false);
    const failed = registerOpenAIHook(() => {
      throw new Error('nope');
    });
    assert.deepEqual(failed, { registered: false, reason: 'nope' });
  });
});

class FakeProcess extends EventEmitter implements ProcessLike {
  readonly pid = 4242;
  readonly kills: string[] = [];
  exits = 0;
  kill(_pid: number, signal: string): void {
    this.kills.push(signal);
  }
  exit(): void {
    this.exits++;
  }
}

describe('register: flush at exit (ExitFlush with a fake process and fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => clock.restore());
  /** Moves the fake clock by `ms`, running the promise callbacks due before, between and after. */
  const tick = async (ms = 0): Promise<void> => {
    await clock.tickAsync(ms);
  };
  function setup(shutdown: () => Promise<void>, timeoutMs = 50) {
    const proc = new FakeProcess();
    const warnings: string[] = [];
    let calls = 0;
    const flush = new ExitFlush({
      shutdown: () => {
        calls++;
        return shutdown();
      },
      timeoutMs,
      warn: (m) => warnings.push(m),
      hint: 'the hint',
      proc,
    });
    flush.install();
    return { proc, warnings, flush, calls: () => calls };
  }
  const never = () => new Promise<void>(() => {});

  it('natural end: flushes once, then lets the process exit on its own', async () => {
    const t = setup(() => Promise.resolve());
    t.proc.emit('beforeExit', 0);
    await tick();
    t.proc.emit('beforeExit', 0); // the loop emptied again after the flush
    await tick();
    assert.equal(t.calls(), 1);
    assert.equal(t.proc.exits, 0);
    assert.deepEqual(t.warnings, []);
  });

  it('natural end with a flush that hangs: exits after the timeout with a warning', async () => {
    const t = setup(never, 20);
    t.proc.emit('beforeExit', 0);
    await tick(19);
    assert.equal(t.proc.exits, 0, 'not before the timeout');
    assert.deepEqual(t.warnings, []);
    await tick(1);
    assert.equal(t.proc.exits, 1);
    assert.equal(t.warnings.length, 1);
    assert.match(t.warnings[0], /did not finish within 20 ms.*the hint/);
  });

  it('a failing flush is one warning with the error and the hint, and no forced exit', async () => {
    const t = setup(() => Promise.reject(new Error('connect ECONNREFUSED')));
    t.proc.emit('beforeExit', 0);
    await tick();
    assert.equal(t.proc.exits, 0);
    assert.deepEqual(t.warnings, ['exporting telemetry at exit failed (connect ECONNREFUSED); the hint']);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} and no listener of the app: flush, then the same signal again without our listeners`, async () => {
      const t = setup(() => Promise.resolve());
      t.proc.emit(signal, signal);
      assert.deepEqual(t.proc.kills, [], 'not before the flush');
      await tick();
      assert.deepEqual(t.proc.kills, [signal]);
      assert.equal(t.proc.listenerCount(signal), 0);
      assert.equal(t.proc.listenerCount('beforeExit'), 0);
    });
  }

  it('a signal during a hanging flush is re-raised after the timeout', async () => {
    const t = setup(never, 20);
    t.proc.emit('SIGTERM', 'SIGTERM');
    await tick(19);
    assert.deepEqual(t.proc.kills, [], 'not before the timeout');
    await tick(1);
    assert.deepEqual(t.proc.kills, ['SIGTERM']);
  });

  it('a second signal while flushing is re-raised at once', async () => {
    const t = setup(never, 300);
    t.proc.emit('SIGINT', 'SIGINT');
    await tick();
    assert.equal(t.calls(), 1);
    assert.deepEqual(t.proc.kills, []);
    t.proc.emit('SIGINT', 'SIGINT');
    assert.deepEqual(t.proc.kills, ['SIGINT']);
  });

  it('the app has its own listener: flush only; the app decides how the process ends', async () => {
    const t = setup(() => Promise.resolve());
    let own = 0;
    t.proc.on('SIGTERM', () => own++);
    t.proc.emit('SIGTERM', 'SIGTERM');
    await tick();
    assert.equal(own, 1);
    assert.equal(t.calls(), 1);
    assert.deepEqual(t.proc.kills, []);
    assert.equal(t.proc.exits, 0);
  });

  it('flush() shares one shutdown between callers', async () => {
    const t = setup(() => Promise.resolve());
    const [a, b] = await Promise.all([t.flush.flush(), t.flush.flush()]);
    assert.equal(a, 'done');
    assert.equal(b, 'done');
    assert.equal(t.calls(), 1);
  });
});

/* ---------------------------------------------------------------------------------------- */

const SPAN_KIND_CLIENT = 3;
const STATUS_OK = 1;

function idAfter(stdout: string, label: string): string {
  const match = new RegExp(`^${label} (resp_\\w+)`, 'm').exec(stdout);
  assert.ok(match, `the app printed "${label} <id>":\n${stdout}`);
  return match[1];
}

function ourSpans(receiver: OtlpReceiver, service: string): ReceivedSpan[] {
  return receiver.spans(service).filter((s) => s.scope === PACKAGE_NAME);
}

function spanNamed(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const span = spans.find((s) => s.name === name);
  assert.ok(span, `a span named ${name}; got ${spans.map((s) => s.name).join(', ') || 'none'}`);
  return span;
}

/** What the fixture app's plain and streamed calls must have produced (docs/TELEMETRY.md §2-§7). */
function assertContractTelemetry(receiver: OtlpReceiver, service: string, run: RunResult): void {
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^app done$/m);
  const spans = ourSpans(receiver, service);
  assert.equal(spans.length, 2, spans.map((s) => s.name).join(', '));

  const plain = spanNamed(spans, 'responses');
  assert.equal(plain.kind, SPAN_KIND_CLIENT);
  assert.equal(plain.statusCode, STATUS_OK);
  assert.equal(plain.resource['service.name'], service);
  const a = plain.attributes;
  assert.equal(a['gen_ai.system'], 'bud');
  assert.equal(a['gen_ai.provider.name'], 'bud');
  assert.equal(a['gen_ai.operation.name'], 'responses');
  assert.equal(a['openai.api.type'], 'responses');
  assert.equal(a['gen_ai.request.model'], 'fixture-model');
  assert.equal(a['gen_ai.request.temperature'], 0.5);
  assert.equal(a['gen_ai.response.id'], idAfter(run.stdout, 'plain'));
  assert.deepEqual(a['gen_ai.response.finish_reasons'], ['stop']);
  assert.ok((a['gen_ai.usage.input_tokens'] as number) > 0);
  assert.ok((a['gen_ai.usage.output_tokens'] as number) > 0);
  assert.equal(a['server.address'], '127.0.0.1');
  assert.equal(a['server.port'], gateway().port);
  assert.equal(a['bud.inference.request.input'], undefined, 'content is off by default');

  const streamed = spanNamed(spans, 'responses.stream');
  assert.equal(streamed.statusCode, STATUS_OK);
  assert.equal(streamed.attributes['gen_ai.request.stream'], true);
  assert.equal(streamed.attributes['bud.inference.stream_completed'], true);
  assert.equal(typeof streamed.attributes['bud.inference.ttft_ms'], 'number');
  assert.equal(streamed.attributes['gen_ai.response.id'], idAfter(run.stdout, 'stream'));

  const metrics = receiver.metrics(service);
  const byName = (name: string) => metrics.filter((m) => m.name === name).flatMap((m) => m.points);
  const durations = byName('gen_ai.client.operation.duration');
  assert.deepEqual(durations.map((p) => p.attributes['gen_ai.request.model']).sort(), ['fixture-model', 'fixture-stream']);
  for (const p of durations) {
    assert.equal(p.count, 1);
    assert.equal(p.attributes['gen_ai.provider.name'], 'bud');
    assert.equal(p.attributes['gen_ai.operation.name'], 'responses');
  }
  const tokenTypes = byName('gen_ai.client.token.usage').map((p) => p.attributes['gen_ai.token.type']);
  assert.deepEqual([...new Set(tokenTypes)].sort(), ['input', 'output']);
  const ttfc = byName('gen_ai.client.operation.time_to_first_chunk');
  assert.deepEqual(ttfc.map((p) => p.attributes['gen_ai.request.model']), ['fixture-stream']);
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('register: zero-code start of the installed package (child processes)', function () {
  this.timeout(120_000);
  let project: PackedProject;
  let receiver: OtlpReceiver;
  let runs = 0;

  before(async function () {
    this.timeout(180_000);
    // Both settle before a failure is thrown, so after() closes whichever did start.
    const [installed, started] = await Promise.allSettled([PackedProject.install(), OtlpReceiver.start()]);
    if (installed.status === 'fulfilled') project = installed.value;
    if (started.status === 'fulfilled') receiver = started.value;
    for (const settled of [installed, started]) if (settled.status === 'rejected') throw settled.reason;
  });
  after(async () => {
    await receiver?.close();
    await project?.remove();
  });

  /** A unique service name per run, so the receiver can tell the runs apart. */
  function otlpEnv(extra: Record<string, string> = {}): Record<string, string> & { OTEL_SERVICE_NAME: string } {
    return {
      OTEL_SERVICE_NAME: `register-test-${++runs}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      GATEWAY_URL: gateway().url,
      ...extra,
    };
  }
  const register = () => `${project.packageName}/register`;

  it('CommonJS: node --require <pkg>/register app.cjs exports the contract spans and metrics', async () => {
    const env = otlpEnv();
    const run = await project.run(['--require', register(), 'app.cjs'], env);
    assertContractTelemetry(receiver, env.OTEL_SERVICE_NAME, run);
    assert.equal(run.stderr, '', 'no warning on a healthy run');
  });

  it('ESM: node --import <pkg>/register app.mjs exports the contract spans and metrics', async () => {
    const env = otlpEnv();
    const run = await project.run(['--import', register(), 'app.mjs'], env);
    assertContractTelemetry(receiver, env.OTEL_SERVICE_NAME, run);
    assert.equal(run.stderr, '');
  });

  it('ESM app under --require also works (the loader hook is registered there too)', async () => {
    const env = otlpEnv();
    const run = await project.run(['--require', register(), 'app.mjs'], env);
    assertContractTelemetry(receiver, env.OTEL_SERVICE_NAME, run);
  });

  it('BUD_OTEL_CAPTURE_INPUT / _OUTPUT / BUD_OTEL_SYSTEM configure the instrumentation', async () => {
    const env = otlpEnv({ BUD_OTEL_CAPTURE_INPUT: 'model,input', BUD_OTEL_CAPTURE_OUTPUT: 'false', BUD_OTEL_SYSTEM: 'acme' });
    const run = await project.run(['--require', register(), 'app.cjs'], env);
    assert.equal(run.code, 0, run.stderr);
    const a = spanNamed(ourSpans(receiver, env.OTEL_SERVICE_NAME), 'responses').attributes;
    assert.equal(a['gen_ai.system'], 'acme');
    assert.equal(a['gen_ai.provider.name'], 'acme');
    assert.equal(a['gen_ai.request.model'], 'fixture-model');
    assert.equal(a['bud.inference.request.input'], 'hello');
    assert.equal(a['gen_ai.request.temperature'], undefined, 'not in the list');
    assert.equal(a['gen_ai.response.id'], undefined, 'captureOutput false');
  });

  it('an invalid BUD_OTEL_* value: one clear warning, the default, and the app unaffected', async () => {
    const env = otlpEnv({ BUD_OTEL_CAPTURE_INPUT: 'model;temperature' });
    const run = await project.run(['--import', register(), 'app.mjs'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^app done$/m);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], /BUD_OTEL_CAPTURE_INPUT="model;temperature" is not true, false or a comma-separated list/);
    const a = spanNamed(ourSpans(receiver, env.OTEL_SERVICE_NAME), 'responses').attributes;
    assert.equal(a['gen_ai.request.temperature'], 0.5, 'default (safe fields) used');
  });

  it('an unreachable endpoint: the app exits 0 with its output in bounded time, and a warning says why', async () => {
    const port = await closedPort();
    const env = otlpEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });
    const run = await project.run(['--require', register(), 'app.cjs'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^plain resp_\w+ Echo: hello$/m);
    assert.match(run.stdout, /^app done$/m);
    assert.ok(run.elapsedMs < DEFAULT_SHUTDOWN_TIMEOUT_MS + 5000, `took ${run.elapsedMs} ms`);
    assert.match(run.stderr, new RegExp(`OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:${port}`));
  });

  it('a bad OTEL_EXPORTER_OTLP_PROTOCOL: the SDK warning is shown, the app runs normally', async () => {
    const env = otlpEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'carrier-pigeon' });
    const run = await project.run(['--require', register(), 'app.cjs'], env, 20_000);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^app done$/m);
    assert.match(run.stderr, /^\[opentelemetry\] warn: Unsupported OTLP traces protocol: "?carrier-pigeon/m);
  });

  it('OTEL_SDK_DISABLED=true: nothing is started, nothing exported', async () => {
    const env = otlpEnv({ OTEL_SDK_DISABLED: 'true' });
    const run = await project.run(['--require', register(), 'app.cjs'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^app done$/m);
    assert.equal(receiver.spans(env.OTEL_SERVICE_NAME).length, 0);
    assert.equal(receiver.metrics(env.OTEL_SERVICE_NAME).length, 0);
  });

  async function terminate(env: Record<string, string>): Promise<RunResult> {
    const child = project.spawn(['--require', register(), 'server.cjs'], env);
    const result = finished(child, 30_000);
    await printed(child, 'ready');
    child.kill('SIGTERM');
    return result;
  }

  it('SIGTERM with no handler of the app: telemetry flushed, then the process dies by SIGTERM', async () => {
    const env = otlpEnv();
    const run = await terminate(env);
    assert.equal(run.signal, 'SIGTERM', `code ${run.code}, stderr: ${run.stderr}`);
    spanNamed(ourSpans(receiver, env.OTEL_SERVICE_NAME), 'responses');
    assert.ok(receiver.metrics(env.OTEL_SERVICE_NAME).length > 0);
  });

  it("SIGTERM with the app's own handler: the app decides (here: a natural exit 0), telemetry flushed", async () => {
    const env = otlpEnv({ OWN_SIGTERM_HANDLER: '1' });
    const run = await terminate(env);
    assert.equal(run.signal, null);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^own handler$/m);
    spanNamed(ourSpans(receiver, env.OTEL_SERVICE_NAME), 'responses');
  });
});
