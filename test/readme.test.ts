/*
 * The README's quick start, run as a user runs it: its code block as a file inside this package
 * (so that `require('@budecosystem/instrumentation-responses')` resolves to this package by
 * name), against the embedded gateway, exporting over OTLP (the Node SDK's default, batched) to a
 * local receiver. It must print the reply and, since it awaits `sdk.shutdown()`, have exported
 * its span when the process ends.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { OtlpReceiver } from './fixtures/register/otlp-receiver';
import { client, gateway } from './harness';
import { PACKAGE_NAME } from '../src/version';

const ROOT = path.resolve(__dirname, '../..');

/** The first ```js block after the given heading. */
function codeBlockAfter(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README has a "${heading}" section`);
  const block = /```js\n([\s\S]*?)```/.exec(markdown.slice(start));
  assert.ok(block, `a js block under "${heading}"`);
  return block[1];
}

describe('README', () => {
  let receiver: OtlpReceiver | undefined;
  after(() => receiver?.close());

  it('the quick start, as written, prints the reply and exports its span before the script ends', async function () {
    this.timeout(30_000);
    receiver = await OtlpReceiver.start();
    const source = codeBlockAfter(readFileSync(path.join(ROOT, 'README.md'), 'utf8'), '## Quick start');
    const dir = path.join(ROOT, 'build', 'readme');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'quickstart.js');
    writeFileSync(file, source);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      OPENAI_BASE_URL: `${gateway().url}/v1`,
      OPENAI_API_KEY: 'local',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    };
    delete env.OTEL_TRACES_EXPORTER;
    delete env.OTEL_SERVICE_NAME;
    delete env.NODE_OPTIONS;
    const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: dir, env });
    // What the same call gives in this process (openai 4.87 has no output_text on create: undefined).
    const expected = (await client().responses.create({ model: 'gpt-4.1-mini', input: 'Say hello' })).output_text;
    if (expected !== undefined) assert.match(expected, /^Echo: Say hello/);
    assert.equal(stdout.split('\n')[0], String(expected));
    // Exported by the flush in sdk.shutdown(): the batch would otherwise still be waiting.
    const spans = receiver.spans('my-app').filter((span) => span.scope === PACKAGE_NAME);
    assert.deepEqual(
      spans.map((span) => [span.name, span.attributes['gen_ai.request.model']]),
      [['responses', 'gpt-4.1-mini']],
    );
  });
});
