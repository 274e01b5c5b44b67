/*
 * Property-based tests of the stream wrapper. The SDK's own `Stream` parses random SSE byte
 * streams (deltas, unknown event types, terminal events, error events, malformed JSON, a
 * dropped connection) and the application leaves by random exits (consume all, break at k,
 * abort at k, tee and consume both). The same bytes and exit run once without the wrapper: the
 * instrumented run must give the application exactly the same events and error, end the span
 * exactly once, and set the status docs/TELEMETRY.md §6 asks for.
 */
import * as assert from 'node:assert/strict';
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import fc from 'fast-check';
import { Stream } from 'openai/streaming';
import * as sinon from 'sinon';
import { Call } from '../src/call';
import { resolveConfig } from '../src/config';
import { instrumentStream } from '../src/stream-wrapper';
import { OPENAI_VERSION, testTracer } from './harness';

type Frame =
  | { kind: 'event'; type: string; payload?: Record<string, unknown> }
  | { kind: 'error-event' }
  | { kind: 'malformed' };

type Exit = { kind: 'all' } | { kind: 'break'; at: number } | { kind: 'abort'; at: number } | { kind: 'tee' };

interface Scenario {
  frames: Frame[];
  /** Drop the connection after this many frames (undefined: end cleanly). */
  dropAfter?: number;
  exit: Exit;
}

const response = (status: string) => ({
  id: 'resp_prop',
  object: 'response',
  model: 'prop-model',
  status,
  output: [],
  usage: { input_tokens: 3, output_tokens: 5, total_tokens: 8 },
  error: status === 'failed' ? { code: 'server_error', message: 'x' } : null,
});

const middleFrame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 8 }).map((delta): Frame => ({ kind: 'event', type: 'response.output_text.delta', payload: { delta } })) },
  { weight: 2, arbitrary: fc.constantFrom('response.future_thing', 'response.in_progress', 'x.y').map((type): Frame => ({ kind: 'event', type })) },
  { weight: 1, arbitrary: fc.constant<Frame>({ kind: 'error-event' }) },
  { weight: 1, arbitrary: fc.constant<Frame>({ kind: 'malformed' }) },
);

const terminalFrame: fc.Arbitrary<Frame[]> = fc.constantFrom('completed', 'failed', 'incomplete', 'none').map((t) =>
  t === 'none' ? [] : [{ kind: 'event', type: `response.${t}`, payload: { response: response(t) } } as Frame],
);

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    middle: fc.array(middleFrame, { maxLength: 12 }),
    terminal: terminalFrame,
    drop: fc.option(fc.nat(14), { nil: undefined }),
    exit: fc.oneof(
      fc.constant<Exit>({ kind: 'all' }),
      fc.nat(14).map((at): Exit => ({ kind: 'break', at })),
      fc.nat(14).map((at): Exit => ({ kind: 'abort', at })),
      fc.constant<Exit>({ kind: 'tee' }),
    ),
  })
  .map(({ middle, terminal, drop, exit }) => {
    const frames: Frame[] = [{ kind: 'event', type: 'response.created', payload: { response: response('in_progress') } }, ...middle, ...terminal];
    return { frames, dropAfter: drop, exit };
  });

function encode(frame: Frame, sequence: number): string {
  switch (frame.kind) {
    case 'malformed':
      return 'event: response.output_text.delta\ndata: {not json\n\n';
    case 'error-event':
      return `event: error\ndata: ${JSON.stringify({ type: 'error', code: 'rate_limit_exceeded', message: 'slow down', sequence_number: sequence })}\n\n`;
    default:
      return `event: ${frame.type}\ndata: ${JSON.stringify({ type: frame.type, sequence_number: sequence, ...frame.payload })}\n\n`;
  }
}

/** A real SDK Stream over the scenario's bytes, as `fetch` would deliver them. */
function sdkStream(s: Scenario): { stream: Stream<unknown>; controller: AbortController } {
  const encoder = new TextEncoder();
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (s.dropAfter !== undefined && i === s.dropAfter) {
        ctrl.error(new TypeError('terminated'));
      } else if (i < s.frames.length) {
        ctrl.enqueue(encoder.encode(encode(s.frames[i], i)));
        i++;
      } else {
        ctrl.close();
      }
    },
  });
  const controller = new AbortController();
  const fetchResponse = new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  const stream = (Stream.fromSSEResponse as (r: Response, c: AbortController) => Stream<unknown>)(fetchResponse, controller);
  return { stream, controller };
}

interface Observed {
  events: Array<{ type?: unknown; sequence_number?: unknown }>;
  error?: unknown;
  stoppedEarly: boolean;
}

async function consume(iterable: AsyncIterable<unknown>, exit: Exit, controller: AbortController): Promise<Observed> {
  const events: Observed['events'] = [];
  let stoppedEarly = false;
  try {
    for await (const e of iterable) {
      events.push(e as Observed['events'][number]);
      if (exit.kind === 'break' && events.length > exit.at) {
        stoppedEarly = true;
        break;
      }
      if (exit.kind === 'abort' && events.length > exit.at) {
        stoppedEarly = true;
        controller.abort();
      }
    }
  } catch (error) {
    return { events, error, stoppedEarly };
  }
  return { events, stoppedEarly };
}

async function run(s: Scenario, stream: Stream<unknown>, controller: AbortController): Promise<Observed> {
  if (s.exit.kind !== 'tee') return consume(stream, s.exit, controller);
  const [left, right] = stream.tee();
  const [a, b] = await Promise.all([consume(left, s.exit, controller), consume(right, s.exit, controller)]);
  assert.deepEqual(a, b, 'both tee branches see the same');
  return a;
}

/**
 * `error.type` of the errors these byte streams can make the SDK throw (the oracle, written
 * independently of src/): the dropped connection's TypeError, the SyntaxError of a malformed
 * frame, and the APIError the SDK throws for an `error` event: with the event's code on
 * openai 7, without any code or status on openai 4 (5 and 6 do not throw, they yield the event).
 */
function expectedErrorType(error: unknown): string {
  if (error instanceof TypeError) return 'TypeError';
  if (error instanceof SyntaxError) return 'SyntaxError';
  if ((error as Error | undefined)?.constructor?.name === 'APIError') {
    return OPENAI_VERSION.startsWith('4.') ? 'APIError' : 'rate_limit_exceeded';
  }
  return assert.fail(`an error these streams cannot make: ${String(error)}`);
}

/** The status docs/TELEMETRY.md §6 asks for, from what the application saw. */
function expected(observed: Observed): { code: SpanStatusCode; errorType?: string; completed: boolean } {
  const errorEvent = observed.events.find((e) => e.type === 'error') as { code?: string } | undefined;
  const terminal = [...observed.events].reverse().find((e) => typeof e.type === 'string' && /^response\.(completed|failed|incomplete)$/.test(e.type));
  // The call ends when a terminal event reaches the application (complete exactly then): what
  // comes after it (a dropped connection, a stop) changes nothing.
  if (terminal) {
    if (errorEvent) return { code: SpanStatusCode.ERROR, errorType: errorEvent.code, completed: true };
    if (terminal.type === 'response.failed') return { code: SpanStatusCode.ERROR, errorType: 'server_error', completed: true };
    return { code: SpanStatusCode.OK, completed: true };
  }
  if (observed.error) return { code: SpanStatusCode.ERROR, errorType: expectedErrorType(observed.error), completed: false };
  // A stop keeps the outcome of an error event the application was already shown.
  if (observed.stoppedEarly && !errorEvent) return { code: SpanStatusCode.UNSET, completed: false };
  if (errorEvent) return { code: SpanStatusCode.ERROR, errorType: errorEvent.code, completed: false };
  return { code: SpanStatusCode.ERROR, errorType: 'stream_truncated', completed: false };
}

describe('stream wrapper properties (fast-check)', () => {
  let unhandled: unknown[];
  let consoleError: sinon.SinonStub;
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
    // The SDK logs every malformed frame it rejects; the test makes hundreds on purpose.
    consoleError = sinon.stub(console, 'error');
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
    consoleError.restore();
  });

  it('same events and errors as uninstrumented, one end, the contract status', async () => {
    const config = resolveConfig({});
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const bare = sdkStream(s);
        const expectedRun = await run(s, bare.stream, bare.controller);

        const span = testTracer.startSpan('prop') as Span;
        const end = sinon.spy(span, 'end');
        const setStatus = sinon.spy(span, 'setStatus');
        const setAttributes = sinon.spy(span, 'setAttributes');
        const call = new Call({
          span,
          startedAt: performance.now(),
          hookInfo: { operation: 'responses' },
          recording: true,
          config,
          instruments: undefined,
          streaming: true,
          metricAttributes: {},
          plainName: 'responses',
          streamingName: 'responses.stream',
          generates: true,
          conversationKnown: false,
        });
        const traced = sdkStream(s);
        instrumentStream(traced.stream as never, call);
        const got = await run(s, traced.stream, traced.controller);

        assert.deepEqual(got.events, expectedRun.events, 'the application gets the same events');
        assert.equal(got.error?.constructor, expectedRun.error?.constructor, 'and the same error');
        await new Promise((r) => setImmediate(r));
        assert.equal(end.callCount, 1, 'the span ends exactly once');
        const want = expected(got);
        const status = setStatus.lastCall?.args[0];
        assert.equal(status?.code ?? SpanStatusCode.UNSET, want.code, `status for ${JSON.stringify(s.exit)}`);
        const attributes = Object.assign({}, ...setAttributes.getCalls().map((c) => c.args[0]));
        assert.equal(attributes['error.type'], want.errorType);
        assert.equal(attributes['bud.inference.chunks'], got.events.length);
        assert.equal(attributes['bud.inference.stream_completed'], want.completed);
        assert.deepEqual(unhandled, [], 'no unhandled rejection');
      }),
      { numRuns: 300 },
    );
  });
});
