/*
 * manuallyInstrument(): an `openai` copy that the module hooks never see. The copy is the
 * installed openai bundled by esbuild into one file in a temp folder and required from there:
 * require-in-the-middle matches `openai` by module name, so that copy is loaded unhooked, as
 * it is inside a bundled application.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { diag, DiagLogLevel, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { build } from 'esbuild';
import OpenAI from 'openai';
import * as sinon from 'sinon';
import { hooklessEnvironment, UnseenOpenAIHint } from '../src/unseen-hint';
import { API_KEY, gateway, instrumentation, instrumentedSpans, waitFor } from './harness';

type OpenAIClass = typeof OpenAI;

describe('manuallyInstrument()', () => {
  let dir: string;
  let copy: { OpenAI: OpenAIClass; default?: OpenAIClass };

  before(async function () {
    this.timeout(60_000);
    dir = mkdtempSync(path.join(tmpdir(), 'bud-manual-'));
    const outfile = path.join(dir, 'openai-copy.cjs');
    await build({
      entryPoints: [require.resolve('openai')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile,
      logLevel: 'silent',
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(outfile) as { OpenAI?: OpenAIClass; default?: OpenAIClass };
    const cls = loaded.OpenAI ?? loaded.default;
    assert.ok(cls, 'the bundled copy exports OpenAI');
    assert.notEqual(cls, OpenAI, 'a second copy, not the hooked one');
    copy = { ...loaded, OpenAI: cls };
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const clientOf = (cls: OpenAIClass): OpenAI =>
    new cls({ apiKey: API_KEY, baseURL: `${gateway().url}/v1`, maxRetries: 0 });

  async function oneCreate(cls: OpenAIClass, model: string): Promise<void> {
    await clientOf(cls).responses.create({ model, input: 'hello' });
  }

  it('a copy the hooks never saw makes no span until it is instrumented by hand', async () => {
    await oneCreate(copy.OpenAI, 'unseen-model');
    assert.equal(instrumentedSpans().length, 0, 'the bundled copy is not hooked');
  });

  it('instrumenting the module gives the same span and stream handling as the hooked path', async () => {
    instrumentation.manuallyInstrument(copy);
    const client = clientOf(copy.OpenAI);
    const response = await client.responses.create({ model: 'manual-model', input: 'hello', temperature: 0.5 });
    const stream = await client.responses.create({ model: 'manual-model', input: 'stream me', stream: true });
    let events = 0;
    for await (const _event of stream) events++;
    await waitFor(() => instrumentedSpans().length === 2, 5000, 'two spans');
    const [plain, streamed] = instrumentedSpans();
    assert.equal(plain.name, 'responses');
    assert.equal(plain.kind, SpanKind.CLIENT);
    assert.equal(plain.status.code, SpanStatusCode.OK);
    assert.equal(plain.attributes['gen_ai.request.model'], 'manual-model');
    assert.equal(plain.attributes['gen_ai.request.temperature'], 0.5);
    assert.equal(plain.attributes['gen_ai.response.id'], response.id);
    assert.equal(plain.attributes['gen_ai.system'], 'bud');
    assert.equal(plain.attributes['server.address'], '127.0.0.1');
    assert.equal(streamed.name, 'responses.stream');
    assert.equal(streamed.status.code, SpanStatusCode.OK);
    assert.equal(streamed.attributes['bud.inference.chunks'], events);
    assert.equal(streamed.attributes['bud.inference.stream_completed'], true);
  });

  it('is idempotent: the module, the class and a client of the same copy give one span per call', async () => {
    instrumentation.manuallyInstrument(copy);
    instrumentation.manuallyInstrument(copy.OpenAI);
    instrumentation.manuallyInstrument(clientOf(copy.OpenAI));
    await oneCreate(copy.OpenAI, 'idempotent-model');
    assert.deepEqual(
      instrumentedSpans().map((s) => s.name),
      ['responses'],
    );
  });

  it('on the copy the hooks already patched, makes no second span', async () => {
    instrumentation.manuallyInstrument(OpenAI);
    await oneCreate(OpenAI, 'hooked-model');
    assert.deepEqual(
      instrumentedSpans().map((s) => s.name),
      ['responses'],
    );
  });

  it('disable() undoes it and enable() redoes it', async () => {
    instrumentation.manuallyInstrument(copy);
    instrumentation.disable();
    try {
      await oneCreate(copy.OpenAI, 'disabled-model');
      assert.equal(instrumentedSpans().length, 0, 'no span while disabled');
    } finally {
      instrumentation.enable();
    }
    await oneCreate(copy.OpenAI, 'enabled-again-model');
    assert.deepEqual(
      instrumentedSpans().map((s) => s.attributes['gen_ai.request.model']),
      ['enabled-again-model'],
    );
  });

  describe('a wrong argument', () => {
    let error: sinon.SinonSpy;
    beforeEach(() => {
      error = sinon.spy();
      diag.setLogger({ error, warn: () => {}, info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.ERROR);
    });
    afterEach(() => diag.disable());

    const wrong: Array<[string, unknown]> = [
      ['undefined', undefined],
      ['null', null],
      ['a number', 42],
      ['an empty object', {}],
      ['an unrelated function', function Foo() {}],
      ['a client-like object of another class', new (class Client {})()],
    ];
    for (const [what, value] of wrong) {
      it(`(${what}) is reported through diag, never thrown`, () => {
        instrumentation.manuallyInstrument(value as object);
        sinon.assert.calledOnce(error);
        assert.match(String(error.firstCall.args[0]), /manuallyInstrument\(\) needs the openai module, its OpenAI class or an OpenAI client/);
      });
    }
  });
});

describe('the hint when openai is never seen', () => {
  /** A process stand-in whose `beforeExit` the test fires. */
  function fakeProcess() {
    const listeners = new Set<() => void>();
    return {
      versions: {},
      once: (_event: 'beforeExit', l: () => void) => listeners.add(l),
      removeListener: (_event: 'beforeExit', l: () => void) => listeners.delete(l),
      beforeExit: () => [...listeners].forEach((l) => l()),
      listeners,
    };
  }

  it('environment: Bun, Deno, a bundle (no module filename), or none for plain Node.js', () => {
    assert.equal(hooklessEnvironment({ filename: '/app/node_modules/x/build/src/instrumentation.js' }, { versions: {} }), undefined);
    assert.equal(hooklessEnvironment({ exports: {} }, { versions: {} }), 'a bundled application');
    assert.equal(hooklessEnvironment(undefined, { versions: {} }), 'a bundled application');
    assert.equal(hooklessEnvironment({ filename: '/x.js' }, { versions: { bun: '1.4.5' } }), 'Bun');
    assert.equal(hooklessEnvironment({ filename: '/x.js' }, { versions: { deno: '2.9.6' } }), 'Deno');
    assert.equal(hooklessEnvironment(module, process), undefined, 'this test process is plain Node.js');
  });

  it('is given once at beforeExit when nothing was seen, with the way out', () => {
    const proc = fakeProcess();
    const report = sinon.spy();
    const hint = new UnseenOpenAIHint({ report, environment: 'a bundled application', proc });
    hint.start();
    proc.beforeExit();
    proc.beforeExit();
    sinon.assert.calledOnce(report);
    assert.match(String(report.firstCall.args[0]), /no openai module has been instrumented; this looks like a bundled application/);
    assert.match(String(report.firstCall.args[0]), /manuallyInstrument\(OpenAI\)/);
    assert.equal(proc.listeners.size, 0, 'its listener is gone');
  });

  it('is not given once openai was seen, nor in plain Node.js, nor after stop()', () => {
    const report = sinon.spy();
    const seen = fakeProcess();
    const a = new UnseenOpenAIHint({ report, environment: 'Bun', proc: seen });
    a.start();
    a.seen();
    seen.beforeExit();
    const plain = fakeProcess();
    new UnseenOpenAIHint({ report, environment: undefined, proc: plain }).start();
    plain.beforeExit();
    const stopped = fakeProcess();
    const c = new UnseenOpenAIHint({ report, environment: 'Deno', proc: stopped });
    c.start();
    c.stop();
    stopped.beforeExit();
    sinon.assert.notCalled(report);
  });

  it('is given by the timer when the process keeps running', async () => {
    const report = sinon.spy();
    const hint = new UnseenOpenAIHint({ report, environment: 'Deno', proc: fakeProcess(), delayMs: 1 });
    hint.start();
    await waitFor(() => report.called, 5000, 'the hint');
    sinon.assert.calledOnce(report);
  });
});
