/*
 * An ESM application: `import OpenAI from 'openai'` with the import-in-the-middle hook registered
 * for `openai` only (the way the register entry does it), in a child process.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gateway } from './harness';

const run = promisify(execFile);
const fixtures = path.resolve(__dirname, '../../test/fixtures/esm');

describe('ESM application', () => {
  it('instruments openai imported as ESM: one span per call, streaming included', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', path.join(fixtures, 'setup.mjs'), path.join(fixtures, 'app.mjs')],
      { env: { ...process.env, GATEWAY_URL: gateway().url }, cwd: path.resolve(__dirname, '../..'), timeout: 30000 },
    );
    const out = JSON.parse(stdout) as {
      responseId: string;
      events: number;
      cjsCopies: string[];
      spans: Array<{ name: string; status: number; attributes: Record<string, unknown> }>;
    };
    assert.deepEqual(out.cjsCopies, [], 'openai was loaded as ESM only');
    assert.deepEqual(
      out.spans.map((s) => s.name),
      ['responses', 'responses.stream'],
    );
    assert.equal(out.spans[0].attributes['gen_ai.response.id'], out.responseId);
    assert.equal(out.spans[0].attributes['gen_ai.request.model'], 'esm-model');
    assert.equal(out.spans[1].attributes['bud.inference.chunks'], out.events);
    assert.equal(out.spans[1].attributes['bud.inference.stream_completed'], true);
    assert.ok(out.spans.every((s) => s.status === 1), 'both spans OK');
  });
});
