/*
 * Beside the instrumentations users actually run (docs/TELEMETRY.md §8, §9), each in a child process
 * (they patch globals): getNodeAutoInstrumentations() in both registration orders, the official
 * @opentelemetry/instrumentation-openai alone (both orders, and disabled + enabled again after
 * us), the undici and the http instrumentations alone and together, and none.
 *
 * For every setup: the application's results are those of openai alone (parse(), withResponse()
 * on a stream), one span of this package per Responses call and none of the official one, the
 * official one still traces chat completions (openai < 7), and every request the gateway
 * received carries exactly one `traceparent` line that a W3C propagator extracts into the
 * application's trace, naming a span of that trace (ours, or the HTTP client span below it).
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { gateway, OPENAI_VERSION } from './harness';
import { headerLines, traceparentLines } from './headers';

const run = promisify(execFile);
const APP = path.resolve(__dirname, '../../test/fixtures/coexist/app.cjs');
const MAJOR = Number(OPENAI_VERSION.split('.')[0]);
const OURS = '@budecosystem/instrumentation-responses';
const OFFICIAL = '@opentelemetry/instrumentation-openai';
const HTTP_SCOPES = ['@opentelemetry/instrumentation-undici', '@opentelemetry/instrumentation-http'];

interface ChildSpan {
  name: string;
  scope: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
}

interface ChildOutput {
  traceId: string;
  requestLog: string[];
  rounds: Array<Record<string, unknown>>;
  spans: ChildSpan[];
  messages: Array<{ level: string; message: string }>;
  fatal?: string;
}

/**
 * Whether getNodeAutoInstrumentations() (and the official, undici and http instrumentations it
 * bundles) can run here: installed (the matrix blocks a package its OpenTelemetry line lacks:
 * it resolves but throws when loaded), and this Node.js is one its `engines` accept (the 3.x
 * line's 0.82 asks for Node >= 22.15).
 */
function autoInstrumentationsAvailable(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@opentelemetry/instrumentation-openai');
    // Its package.json is not exported: found from the main file, which moved between releases.
    const name = '@opentelemetry/auto-instrumentations-node';
    const main = require.resolve(name);
    const root = main.slice(0, main.lastIndexOf(path.join('node_modules', name)) + path.join('node_modules', name).length);
    const { engines } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines?: { node?: string } };
    return engines?.node === undefined || engines.node.split('||').some((range) => nodeSatisfies(range.trim()));
  } catch {
    return false;
  }
}

/** Whether the running Node.js is in `range`, one of the forms `engines` uses: `>=a.b.c` or `^a.b.c`. */
function nodeSatisfies(range: string): boolean {
  const match = /^(>=|\^)\s*(\d+)\.(\d+)\.(\d+)$/.exec(range);
  if (!match) return false;
  const want = match.slice(2).map(Number);
  const have = process.versions.node.split('.').map(Number);
  if (match[1] === '^' && have[0] !== want[0]) return false;
  for (let i = 0; i < 3; i++) if (have[i] !== want[i]) return have[i] > want[i];
  return true;
}

async function runApp(setup: string, extraEnv: Record<string, string> = {}): Promise<ChildOutput> {
  const { stdout } = await run(process.execPath, [APP], {
    env: { ...process.env, GATEWAY_URL: gateway().url, SETUP: setup, ...extraEnv },
    cwd: path.resolve(__dirname, '../..'),
    timeout: 60000,
  });
  const out = JSON.parse(stdout) as ChildOutput;
  if (out.fatal) assert.fail(`the application failed: ${out.fatal}`);
  return out;
}

const propagator = new W3CTraceContextPropagator();

/** Whose span the gateway's `traceparent` names: ours, or the HTTP client span below it. */
type Named = 'ours' | 'http';

function check(
  out: ChildOutput,
  { official, rounds = 1, named: expectedNamed }: { official: boolean; rounds?: number; named?: Named },
): void {
  // The application's results, as with openai alone.
  assert.equal(out.rounds.length, rounds);
  for (const r of out.rounds) {
    assert.deepEqual(r, { create: true, streamEvents: r.streamEvents, parse: true, withResponse: true, chatStatus: 404 });
    assert.ok((r.streamEvents as number) > 3);
  }
  // One span of ours per Responses call (create, stream, parse's create, withResponse's stream).
  const ours = out.spans.filter((s) => s.scope === OURS);
  assert.deepEqual(
    ours.map((s) => s.name),
    Array.from({ length: rounds }, () => ['responses', 'responses.stream', 'responses', 'responses.stream']).flat(),
  );
  // The official instrumentation: no span for Responses calls; its chat completions span stays
  // (it patches openai < 7 only).
  const officialSpans = out.spans.filter((s) => s.scope === OFFICIAL);
  assert.equal(officialSpans.length, official && MAJOR < 7 ? rounds : 0, officialSpans.map((s) => s.name).join(', '));
  const superseded = out.messages.filter((m) => m.message.includes('supersedes'));
  assert.equal(superseded.length, official && MAJOR < 7 ? 1 : 0, 'said once through diag');
  assert.deepEqual(
    out.messages.filter((m) => m.level !== 'info'),
    [],
    'no warning or error through diag',
  );

  // Every request: one traceparent line, extracted into the application's trace, naming a span
  // of ours or an HTTP client span whose parent is ours.
  const requests = gateway().requests.filter((r) => r.path === '/v1/responses');
  assert.equal(requests.length, 4 * rounds);
  const byId = new Map(out.spans.map((s) => [s.spanId, s]));
  for (const request of requests) {
    const lines = traceparentLines(request);
    assert.equal(lines.length, 1, `one traceparent line, got ${JSON.stringify(lines)}`);
    assert.deepEqual(headerLines(request, 'baggage'), ['tenant=coexist'], 'one baggage line');
    const sc = trace.getSpanContext(propagator.extract(ROOT_CONTEXT, { traceparent: lines[0] }, {
      get: (c, k) => (c as Record<string, string>)[k],
      keys: (c) => Object.keys(c as object),
    }));
    assert.equal(sc?.traceId, out.traceId, 'the gateway joins the application trace');
    const named = byId.get(sc!.spanId);
    assert.ok(named, 'the traceparent names a span of the trace');
    if (expectedNamed) assert.equal(named.scope === OURS ? 'ours' : 'http', expectedNamed, `the traceparent names ${named.scope}`);
    if (named.scope !== OURS) {
      assert.ok(HTTP_SCOPES.includes(named.scope), `an HTTP client span, got ${named.scope}`);
      assert.equal(byId.get(named.parentSpanId ?? '')?.scope, OURS, 'the HTTP span is a child of ours');
    }
  }
}

describe('beside other instrumentations (child processes)', function () {
  this.timeout(90000);

  before(function () {
    if (!autoInstrumentationsAvailable()) this.skip(); // the matrix's OpenTelemetry 3.x cells on Node < 22.15
  });

  it('no other instrumentation: ours is the only traceparent', async () => {
    check(await runApp('bud'), { official: false });
  });

  it('undici/fetch instrumentation', async () => {
    check(await runApp('bud,undici'), { official: false });
  });

  it('http instrumentation', async () => {
    check(await runApp('bud,http'), { official: false });
  });

  it('undici and http instrumentations', async () => {
    check(await runApp('undici,http,bud'), { official: false });
  });

  it('getNodeAutoInstrumentations() registered after us', async () => {
    check(await runApp('bud,auto'), { official: true });
  });

  it('getNodeAutoInstrumentations() registered before us', async () => {
    check(await runApp('auto,bud'), { official: true });
  });

  it('the official openai instrumentation alone, registered after us', async () => {
    check(await runApp('bud,official'), { official: true });
  });

  it('the official openai instrumentation alone, registered before us', async () => {
    check(await runApp('official,bud'), { official: true });
  });

  it('disable() of this package gives the official instrumentation its Responses spans back', async () => {
    const out = await runApp('bud,official', { BUD_DISABLE: '1' });
    assert.deepEqual(out.rounds[1], { afterDisable: true });
    assert.equal(out.spans.filter((s) => s.scope === OURS).length, 4);
    // openai < 7: the chat completions span, and the create made after disable().
    assert.equal(out.spans.filter((s) => s.scope === OFFICIAL).length, MAJOR < 7 ? 2 : 0);
  });

  it('the official instrumentation disabled and enabled again after us: still one span of ours per call', async () => {
    check(await runApp('bud,official', { CYCLE: '1' }), { official: true, rounds: 2 });
  });
});

/*
 * Exactly one traceparent whatever the HTTP setup (docs/TELEMETRY.md §8): each HTTP setup x {the HTTP
 * instrumentations trace these requests, or an ignore hook skips them} x {no foreign subscriber,
 * the application's own `undici:request:create` subscriber}. (The default x no subscriber cells
 * are the tests above.) The traceparent names the HTTP span when the instrumentation of the
 * client's transport traces the request (undici for openai 5+, http for openai 4's node-fetch),
 * else ours.
 */
describe('one traceparent per request, whatever the HTTP setup (child processes)', function () {
  this.timeout(90000);

  before(function () {
    if (!autoInstrumentationsAvailable()) this.skip();
  });

  const transport = MAJOR >= 5 ? 'undici' : 'http';

  /**
   * Whose span the traceparent names when nothing is ignored: the HTTP span when the setup has
   * the instrumentation of the client's transport. In the bundle it depends on whether it
   * traces the client's requests at all (with openai 4's node-fetch it makes no http spans in
   * this application): the HTTP span exactly when there are HTTP client spans below ours.
   */
  function expectedNamed(setup: string, out: ChildOutput): Named {
    if (!setup.includes('auto')) return setup.includes(transport) ? 'http' : 'ours';
    const ours = new Set(out.spans.filter((s) => s.scope === OURS).map((s) => s.spanId));
    const below = out.spans.filter((s) => HTTP_SCOPES.includes(s.scope) && ours.has(s.parentSpanId ?? ''));
    return below.length > 0 ? 'http' : 'ours';
  }
  const setups: Array<[string, string]> = [
    ['bud', 'no HTTP instrumentation'],
    ['bud,undici', 'undici instrumentation'],
    ['bud,http', 'http instrumentation'],
    ['undici,http,bud', 'undici and http instrumentations'],
    ['bud,auto', 'getNodeAutoInstrumentations()'],
  ];
  for (const [setup, title] of setups) {
    for (const ignore of [false, true]) {
      for (const subscriber of [false, true]) {
        if (!ignore && !subscriber) continue; // the tests above
        if (ignore && setup === 'bud') continue; // no instrumentation to tell
        const parts = [ignore ? 'an ignore hook skips the requests' : 'tracing the requests'];
        if (subscriber) parts.push("the application's own undici:request:create subscriber");
        it(`${title}, ${parts.join(', ')}`, async () => {
          const out = await runApp(setup, { IGNORE: ignore ? '1' : '0', SUBSCRIBER: subscriber ? '1' : '0' });
          check(out, { official: setup.includes('auto'), named: ignore ? 'ours' : expectedNamed(setup, out) });
          if (subscriber && MAJOR >= 5) assert.ok(out.requestLog.length >= 4, 'the application\'s subscriber saw the requests');
        });
      }
    }
  }
});
