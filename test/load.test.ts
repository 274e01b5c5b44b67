/*
 * Load and memory: 1000 concurrent calls (half streaming) under 20 parent spans end every span
 * with the right parent and its own attributes; streamed calls leave the heap bounded (against
 * the bare client in the same process).
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { client, context, instrumentedSpans, trace, testTracer, waitFor } from './harness';

describe('load', () => {
  it('1000 concurrent calls under 20 parents: every span ends, right parent, no cross-talk', async function () {
    this.timeout(90000); // 1000 calls on a 2-core machine that may be running other matrix cells
    // Retries (inside each call's one span) absorb connection resets when the loopback backlog overflows.
    const openai = client({ maxRetries: 3 });
    const parents = Array.from({ length: 20 }, (_, p) => testTracer.startSpan(`parent-${p}`));
    const chunksSeen = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => {
        const p = i % 20;
        const model = `load-p${p}-c${i}`;
        return context.with(trace.setSpan(context.active(), parents[p]), async () => {
          if (i % 2 === 0) {
            const r = await openai.responses.create({ model, input: `call ${i}` });
            assert.equal(r.model, model);
            return;
          }
          let n = 0;
          for await (const _e of await openai.responses.create({ model, input: `call ${i}`, stream: true })) n++;
          chunksSeen.set(model, n);
        });
      }),
    );
    parents.forEach((p) => p.end());
    await waitFor(() => instrumentedSpans().length === 1000, 30000, '1000 spans');
    const spans = instrumentedSpans();
    assert.equal(spans.length, 1000);
    for (const span of spans) {
      const model = span.attributes['gen_ai.request.model'] as string;
      const [, p, i] = /^load-p(\d+)-c(\d+)$/.exec(model)!.map(Number);
      const parent = parents[p].spanContext();
      const parentId = span.parentSpanContext?.spanId ?? (span as unknown as { parentSpanId?: string }).parentSpanId;
      assert.equal(parentId, parent.spanId, `${model} parent`);
      assert.equal(span.spanContext().traceId, parent.traceId);
      assert.equal(span.attributes['gen_ai.response.model'], model, 'response attributes of this call');
      assert.equal(span.attributes['bud.inference.stream'], i % 2 === 1);
      if (i % 2 === 1) assert.equal(span.attributes['bud.inference.chunks'], chunksSeen.get(model));
    }
  });
});

describe('memory', () => {
  /**
   * Bound on the heap the instrumentation may add over the bare client for 5,000 streamed calls:
   * 3 MB, about 630 bytes per call. Keeping each finished call (its span and attributes) costs
   * about 4 KB per call (20 MB here, measured by making the instrumentation retain every Call),
   * so such a leak fails by a wide margin, while the noise of a busy machine, which the bare
   * phase of the same process sees too, is subtracted.
   */
  const BOUND_MB = 3;

  it('5,000 streamed calls: heap growth bounded against a bare baseline in the same process (--expose-gc)', async function () {
    this.timeout(300000);
    const script = path.resolve(__dirname, '../../test/fixtures/memory/streams.js');
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', script], {
      cwd: path.resolve(__dirname, '../..'),
      timeout: 290000,
    });
    const result = JSON.parse(stdout) as { calls: number; bareGrowthMB: number; growthMB: number; exported: number };
    assert.equal(result.calls, 5000);
    assert.ok(result.exported >= 5000, `spans exported: ${result.exported}`);
    const added = result.growthMB - result.bareGrowthMB;
    assert.ok(
      added < BOUND_MB,
      `heap grew ${result.growthMB.toFixed(2)} MB over 5,000 streamed calls, ${result.bareGrowthMB.toFixed(2)} MB without the instrumentation: ${added.toFixed(2)} MB more (bound ${BOUND_MB} MB)`,
    );
  });
});
