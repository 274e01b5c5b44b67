/*
 * Beside @sentry/node 11 with its OpenAI integration and its OpenTelemetry setup on (docs/TELEMETRY.md §8,
 * §9): the application (test/fixtures/sentry/app.cjs, a child process, since Sentry sets global
 * OpenTelemetry state) makes a create, a streamed create and a parse; Sentry sends its envelopes
 * to a local sink started here. The same app runs twice, without and with this package's
 * instrumentation, and the runs are compared:
 *
 * - this package's span: once per call, in the envelopes (so ended);
 * - Sentry's own OpenAI spans: as many as without us, each ended (a span that never ends is
 *   never sent);
 * - no stderr line that the run without us does not print (e.g. "SentryPropagator: Injecting
 *   trace data of a different context");
 * - the application's results: the same, and what the gateway answers.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { gateway } from './harness';
import { FUNCTION_ARGUMENTS } from '../gateway/server';
import { skipUnlessOpenAI7 } from './library-helpers';

const ROOT = path.resolve(__dirname, '..', '..');
const APP = path.join(ROOT, 'test', 'fixtures', 'sentry', 'app.cjs');

/** One span of a Sentry span envelope item (`application/vnd.sentry.items.span.v2+json`). */
interface SentrySpan {
  name: string;
  span_id: string;
  parent_span_id?: string;
  start_timestamp: number;
  end_timestamp?: number;
  is_segment?: boolean;
  status?: string;
  attributes: Record<string, { value: unknown } | undefined>;
}

/** A Sentry ingest stand-in on 127.0.0.1 that keeps every envelope's spans. */
class EnvelopeSink {
  readonly spans: SentrySpan[] = [];
  readonly otherItems: string[] = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      this.read(body.toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  reset(): void {
    this.spans.length = 0;
    this.otherItems.length = 0;
  }

  /** An envelope: a header line, then (item header line, item payload line) pairs. */
  private read(envelope: string): void {
    const lines = envelope.split('\n');
    for (let i = 1; i + 1 < lines.length; i += 2) {
      const header = JSON.parse(lines[i]) as { type?: string };
      const payload = lines[i + 1];
      if (header.type === 'span') {
        this.spans.push(...(JSON.parse(payload) as { items: SentrySpan[] }).items);
      } else if (header.type === 'transaction') {
        // Older envelope shape: the segment and its children in one transaction event.
        const tx = JSON.parse(payload) as { spans?: Array<Record<string, unknown>> };
        this.otherItems.push(`transaction with ${tx.spans?.length ?? 0} spans`);
      } else {
        this.otherItems.push(String(header.type));
      }
    }
  }
}

interface AppRun {
  code: number | null;
  stderr: string[];
  result: unknown;
  spans: SentrySpan[];
}

function origin(span: SentrySpan): unknown {
  return span.attributes['sentry.origin']?.value;
}

/** Sentry's own OpenAI spans (its OpenAI integration). */
function sentryOpenAISpans(run: AppRun): SentrySpan[] {
  return run.spans.filter((s) => origin(s) === 'auto.ai.openai');
}

/** The input text of each span (Sentry records it by default), sorted: which call a span is of. */
function inputs(spans: SentrySpan[]): string[] {
  return spans.map((s) => String(s.attributes['gen_ai.input.messages']?.value)).sort();
}

/** This package's spans. */
function budSpans(run: AppRun): SentrySpan[] {
  return run.spans.filter((s) => s.attributes['bud.inference.operation'] !== undefined);
}

describe('beside @sentry/node 11 (OpenAI integration, OpenTelemetry setup on)', function () {
  this.timeout(60000);
  const sink = new EnvelopeSink();
  let port = 0;
  let without: AppRun;
  let withBud: AppRun;

  async function runApp(withInstrumentation: boolean): Promise<AppRun> {
    sink.reset();
    const child = spawn(process.execPath, [APP], {
      cwd: ROOT,
      env: {
        ...process.env,
        SENTRY_DSN: `http://publickey@127.0.0.1:${port}/1`,
        GATEWAY_URL: gateway().url,
        WITH_BUD: withInstrumentation ? '1' : '0',
        NODE_OPTIONS: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    return {
      code,
      stderr: stderr.split('\n').filter((l) => l.trim() !== ''),
      result: line === undefined ? undefined : JSON.parse(line.slice('RESULT '.length)),
      spans: [...sink.spans],
    };
  }

  before(async function () {
    // Measured with openai 7 only, where the other library tests run too; Sentry registers its
    // tracer provider through its own @opentelemetry/api, which must be ours (see skipUnlessOpenAI7).
    skipUnlessOpenAI7(this, '@sentry/node');
    // @sentry/node 11 needs Node 20.19+.
    const [major, minor] = process.versions.node.split('.').map(Number);
    if (major === 20 && minor < 19) this.skip();

    port = await sink.start();
    without = await runApp(false);
    withBud = await runApp(true);
  });

  after(async () => {
    if (port !== 0) await sink.close();
  });

  it('both runs succeed and the application sees the same results', () => {
    assert.equal(without.code, 0, `exit code without us; stderr: ${without.stderr.join('\n')}`);
    assert.equal(withBud.code, 0, `exit code with us; stderr: ${withBud.stderr.join('\n')}`);
    const expected = {
      created: 'Echo: hello',
      streamed: 'Echo: stream me',
      parsed: JSON.parse(FUNCTION_ARGUMENTS),
    };
    for (const run of [without, withBud]) {
      const r = run.result as typeof expected & { events: string[] };
      assert.deepEqual({ created: r.created, streamed: r.streamed, parsed: r.parsed }, expected);
      assert.equal(r.events.at(-1), 'response.completed');
    }
    assert.deepEqual(withBud.result, without.result);
  });

  it('without us, Sentry sends its own OpenAI span for create and streamed create (baseline)', () => {
    // Sentry 11.12 with openai 7 never ends its span of responses.parse() even without us: it
    // hooks the body step of the APIPromise that create returns, and parse derives a new one.
    assert.deepEqual(inputs(sentryOpenAISpans(without)), ['hello', 'stream me']);
    assert.equal(budSpans(without).length, 0);
  });

  it('our span once per call: create, streamed create, parse, each ended, under the app span', () => {
    const ours = budSpans(withBud);
    assert.deepEqual(ours.map((s) => s.name).sort(), ['responses', 'responses', 'responses.stream']);
    const app = withBud.spans.find((s) => s.name === 'app');
    assert.ok(app, 'the app span was sent');
    for (const span of ours) {
      assert.equal(typeof span.end_timestamp, 'number', `${span.name} ended`);
      assert.equal(span.parent_span_id, app.span_id, `${span.name} is a child of the app span`);
      assert.equal(span.status, 'ok');
    }
  });

  it("Sentry's own OpenAI spans: as many as without us, each ended", () => {
    const theirs = sentryOpenAISpans(withBud);
    assert.deepEqual(inputs(theirs), inputs(sentryOpenAISpans(without)), 'the calls Sentry sent an OpenAI span for');
    for (const span of theirs) assert.equal(typeof span.end_timestamp, 'number', `${span.name} ended`);
  });

  it('no stderr warning that the app does not print without us', () => {
    const added = withBud.stderr.filter((line) => !without.stderr.includes(line));
    assert.deepEqual(added, [], 'new stderr lines with the instrumentation');
  });
});
