/*
 * disable() and enable() act on every patched copy of openai (docs/TELEMETRY.md §9): the CommonJS and the
 * ESM build loaded in one process (child process: it registers the ESM loader hook).
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gateway } from './harness';

const run = promisify(execFile);

describe('two copies of openai (CommonJS and ESM) in one process', () => {
  it('both are traced; disable() unpatches both; enable() patches both again', async () => {
    const { stdout } = await run(
      process.execPath,
      [path.resolve(__dirname, '../../test/fixtures/coexist/two-copies.mjs')],
      { env: { ...process.env, GATEWAY_URL: gateway().url }, cwd: path.resolve(__dirname, '../..'), timeout: 30000 },
    );
    assert.deepEqual(JSON.parse(stdout), {
      distinct: true,
      enabled: { spans: 2, marked: [true, true] },
      disabled: { spans: 2, marked: [false, false] },
      reenabled: { spans: 4, marked: [true, true] },
    });
  });
});
