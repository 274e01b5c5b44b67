import * as assert from 'node:assert/strict';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import * as sinon from 'sinon';
import { resolveConfig, resetReportedConfigProblems, DEFAULT_MAX_CONTENT_LENGTH } from '../src/config';
import { SAFE_INPUT_FIELDS, CONTENT_INPUT_FIELDS, SAFE_OUTPUT_FIELDS, CONTENT_OUTPUT_FIELDS } from '../src/mapping/fields';
import { BudResponsesInstrumentation } from '../src';

function withEnv(vars: Record<string, string | undefined>, fn: () => void): void {
  const saved: Record<string, string | undefined> = {};
  for (const k of Object.keys(vars)) {
    saved[k] = process.env[k];
    if (vars[k] === undefined) delete process.env[k];
    else process.env[k] = vars[k];
  }
  try {
    fn();
  } finally {
    for (const k of Object.keys(saved)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

describe('config', () => {
  let warn: sinon.SinonSpy;
  beforeEach(() => {
    resetReportedConfigProblems();
    warn = sinon.spy();
    diag.setLogger({ warn, error: () => {}, info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
  });
  afterEach(() => diag.disable());

  it('defaults: safe fields only, content off, bud mode', () => {
    withEnv({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: undefined, OTEL_SEMCONV_STABILITY_OPT_IN: undefined }, () => {
      const c = resolveConfig({});
      assert.deepEqual([...c.inputFields], SAFE_INPUT_FIELDS);
      assert.deepEqual([...c.outputFields], SAFE_OUTPUT_FIELDS);
      assert.equal(c.spanName, 'responses');
      assert.equal(c.system, undefined, 'by endpoint');
      assert.equal(c.semconvMode, 'bud');
      assert.equal(c.maxContentLength, DEFAULT_MAX_CONTENT_LENGTH);
      assert.equal(c.propagateContext, true);
      assert.equal(c.pricing, undefined);
      sinon.assert.notCalled(warn);
    });
  });

  it('captureContent and its env var add the content fields', () => {
    const on = resolveConfig({ captureContent: true });
    assert.deepEqual([...on.inputFields], [...SAFE_INPUT_FIELDS, ...CONTENT_INPUT_FIELDS]);
    assert.deepEqual([...on.outputFields], [...SAFE_OUTPUT_FIELDS, ...CONTENT_OUTPUT_FIELDS]);
    withEnv({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' }, () => {
      assert.ok(resolveConfig({}).inputFields.has('input'));
      assert.ok(!resolveConfig({ captureContent: false }).inputFields.has('input'), 'config wins over env');
    });
  });

  it('false records none; a list records exactly those', () => {
    const c = resolveConfig({ captureInput: false, captureOutput: ['id', 'output_text'] });
    assert.equal(c.inputFields.size, 0);
    assert.deepEqual([...c.outputFields], ['id', 'output_text']);
  });

  it('semconv mode from config or OTEL_SEMCONV_STABILITY_OPT_IN', () => {
    withEnv({ OTEL_SEMCONV_STABILITY_OPT_IN: 'http,gen_ai_latest_experimental' }, () => {
      assert.equal(resolveConfig({}).semconvMode, 'otel');
    });
    withEnv({ OTEL_SEMCONV_STABILITY_OPT_IN: undefined }, () => {
      assert.equal(resolveConfig({ semconvMode: 'otel' }).semconvMode, 'otel');
    });
  });

  const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
    ['captureInput', { captureInput: 'yes' }, /captureInput must be true, false or a list/],
    ['captureOutput', { captureOutput: [1, 2] }, /captureOutput must be true, false or a list/],
    ['captureContent', { captureContent: 'on' }, /captureContent must be one of true, false, NO_CONTENT/],
    ['maxContentLength', { maxContentLength: -5 }, /maxContentLength must be a positive integer/],
    ['spanName', { spanName: '' }, /spanName must be a non-empty string/],
    ['system', { system: 42 }, /system must be a non-empty string/],
    ['semconvMode', { semconvMode: 'new' }, /semconvMode must be 'bud' or 'otel'/],
    ['requestHook', { requestHook: 'fn' }, /requestHook must be a function/],
    ['propagateContext', { propagateContext: 1 }, /propagateContext must be a boolean/],
    ['pricing', { pricing: [] }, /pricing must be an object/],
    ['pricing entry', { pricing: { m: { input: -1, output: 2 } } }, /pricing\["m"\] must be/],
  ];
  for (const [name, config, message] of invalid) {
    it(`invalid ${name} is reported once through diag and falls back to the default`, () => {
      withEnv({ OTEL_SEMCONV_STABILITY_OPT_IN: undefined }, () => {
        const c = resolveConfig(config);
        resolveConfig(config);
        sinon.assert.calledOnce(warn);
        assert.match(String(warn.firstCall.args[0]), message);
        const d = resolveConfig({});
        assert.deepEqual({ ...c, pricing: c.pricing ?? undefined }, { ...d, requestHook: undefined });
      });
    });
  }

  it('keeps well-formed pricing entries next to a malformed one', () => {
    const c = resolveConfig({ pricing: { good: { input: 1, output: 2 }, bad: { input: 'x' } } as never });
    assert.deepEqual(c.pricing, { good: { input: 1, output: 2 } });
    sinon.assert.calledOnce(warn);
  });

  it('maxContentLength: Infinity is named in the warning', () => {
    resolveConfig({ maxContentLength: Infinity });
    sinon.assert.calledOnce(warn);
    assert.match(String(warn.firstCall.args[0]), /got Infinity, using 16384/);
  });

  const throwing = (what: string) => () => {
    throw new Error(`${what} getter`);
  };
  const hostileConfigs: Array<[string, () => object, RegExp]> = [
    ['an option getter that throws', () => Object.defineProperty({ spanName: 'kept' }, 'captureInput', { get: throwing('captureInput'), enumerable: true }), /config\.captureInput could not be read \(Error: captureInput getter\)/],
    ['a Proxy whose ownKeys trap throws', () => new Proxy({}, { ownKeys: throwing('ownKeys') }), /config could not be read \(Error: ownKeys getter\); using the defaults/],
    ['a Proxy whose get trap throws', () => new Proxy({ spanName: 'x' }, { get: throwing('get') }), /config\.spanName could not be read/],
    ['a pricing map whose getter throws', () => ({ pricing: Object.defineProperty({ good: { input: 1, output: 2 } }, 'bad', { get: throwing('pricing'), enumerable: true }) }), /config pricing\["bad"\] could not be read/],
    ['a price whose getter throws', () => ({ pricing: { good: { input: 1, output: 2 }, bad: { output: 1, get input(): number { throw new Error('price'); } } } }), /config pricing\["bad"\]\["input"\] could not be read/],
  ];
  for (const [what, make, message] of hostileConfigs) {
    it(`${what}: never escapes the constructor or setConfig, reported, treated as invalid`, () => {
      let inst: BudResponsesInstrumentation | undefined;
      assert.doesNotThrow(() => {
        inst = new BudResponsesInstrumentation({ ...{}, enabled: false } as never);
        inst.setConfig(make() as never);
      });
      assert.doesNotThrow(() => (inst = new BudResponsesInstrumentation(make() as never)));
      inst?.disable();
      assert.ok(warn.getCalls().some((c) => message.test(String(c.args[0]))), warn.getCalls().map((c) => c.args[0]).join('\n'));
      const resolved = resolveConfig(make() as never);
      assert.deepEqual([...resolved.inputFields], SAFE_INPUT_FIELDS, 'the option takes its default');
      if (what.includes('pric')) assert.deepEqual(resolved.pricing, { good: { input: 1, output: 2 } }, 'the readable prices stay');
      if (what.startsWith('an option')) assert.equal(resolved.spanName, 'kept', 'the readable options stay');
    });
  }

  it('the constructor and setConfig never throw on bad config', () => {
    const bad = { captureInput: 'yes', maxContentLength: -1, pricing: 5, enabled: false } as never;
    const inst = new BudResponsesInstrumentation(bad);
    assert.equal(resolveConfig(inst.getConfig()).maxContentLength, DEFAULT_MAX_CONTENT_LENGTH);
    assert.doesNotThrow(() => inst.setConfig({ captureInput: 3, enabled: false } as never));
    assert.deepEqual([...resolveConfig(inst.getConfig()).inputFields], SAFE_INPUT_FIELDS);
    inst.disable();
  });
});
