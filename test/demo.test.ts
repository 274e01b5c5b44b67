/*
 * `npm run demo` (= build, then node build/demo/run.js): exits 0 and prints the app's results,
 * the span tree and the metric summary, compactly; against the embedded gateway by default and
 * against the gateway given by BUD_BASE_URL / BUD_API_KEY otherwise.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { gateway } from './harness';
import { childEnv, finished, REPO_ROOT, type RunResult } from './fixtures/register/packed-project';

function runDemo(env: Record<string, string> = {}): Promise<RunResult> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'build/demo/run.js')], {
    cwd: REPO_ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return finished(child, 30_000);
}

describe('demo (node build/demo/run.js)', function () {
  this.timeout(40_000);

  it('embedded gateway: exits 0 and prints every step, the span tree and the metrics in < 80 lines', async () => {
    const run = await runDemo();
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const out = run.stdout;
    assert.ok(out.trim().split('\n').length < 80, out);
    assert.match(out, /embedded gateway http:\/\/127\.0\.0\.1:\d+\/v1/);
    for (const step of ['plain create', 'streamed create', 'cached \\+ reasoning', 'tool call, then previous_response_id', 'failing request']) {
      assert.match(out, new RegExp(`^  \\d\\. ${step}`, 'm'), step);
    }
    assert.match(out, /^demo {2}[\d.]+ ms {2}UNSET$/m, 'the root span');
    assert.match(out, /^│ {2}└─ responses {2}[\d.]+ ms {2}OK$/m, 'a responses span under a step span');
    assert.match(out, /└─ responses\.stream {2}[\d.]+ ms {2}OK/);
    assert.match(out, /in=\d+ cached=\d+ out=\d+ reasoning=\d+ finish=stop/);
    assert.match(out, /ttft_ms=[\d.]+ chunks=\d+/);
    assert.match(out, /finish=tool_call/);
    assert.match(out, /conversation=resp_/);
    assert.match(out, /└─ responses {2}[\d.]+ ms {2}ERROR\n\s+model=fail-500 error\.type=InternalServerError/);
    assert.match(out, /^gen_ai\.client\.operation\.duration \[s\]\n {2}model=demo-model +count=5 sum=/m);
    assert.match(out, /^ {2}input model=demo-model +count=5 sum=\d+$/m);
    assert.match(out, /^gen_ai\.client\.operation\.time_to_first_chunk \[s\]$/m);
  });

  it('BUD_BASE_URL + BUD_API_KEY: talks to that gateway with BUD_MODEL and skips the scenario-only steps', async () => {
    const run = await runDemo({ BUD_BASE_URL: `${gateway().url}/v1`, BUD_API_KEY: 'sk-demo-remote', BUD_MODEL: 'remote-model' });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`: gateway ${gateway().url}/v1, model remote-model`));
    assert.doesNotMatch(run.stdout, /failing request|cached \+ reasoning/);
    assert.doesNotMatch(run.stdout, /sk-demo-remote/, 'the key is never printed');
    const models = gateway().requests.map((r) => (r.body as { model?: string } | undefined)?.model);
    assert.deepEqual(models, ['remote-model', 'remote-model', 'remote-model', 'remote-model']);
    assert.ok(gateway().requests.every((r) => r.headers.authorization === 'Bearer sk-demo-remote'));
  });
});
