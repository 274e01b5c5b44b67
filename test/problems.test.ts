/*
 * Problems with what the application gave the package, reported where users look: through the
 * diag logger the application installs, also when it installs it after constructing the
 * instrumentation (the Node SDK does so from OTEL_LOG_LEVEL in its constructor), once each.
 * Child processes with a real NodeSDK, as in the README, and an in-process check of the rule.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { diag, DiagLogLevel, trace } from '@opentelemetry/api';
import { BudResponsesInstrumentation } from '../src';
import { SUPPORTED_OPENAI_VERSIONS, UNSUPPORTED_OPENAI_VERSIONS, unsupportedOpenAIMessage } from '../src/instrumentation';
import { resetReportedProblems } from '../src/problems';
import { PACKAGE_NAME } from '../src/version';

const ROOT = path.resolve(__dirname, '../..');
const BUILD_INDEX = path.join(ROOT, 'build/src/index.js');
const BUILD_REGISTER = path.join(ROOT, 'build/src/register/index.js');
const SDK_NODE = path.join(ROOT, 'node_modules/@opentelemetry/sdk-node');
const run = promisify(execFile);

/** No exporter: nothing is sent anywhere, and nothing but diagnostics is printed. */
const QUIET_SDK_ENV = { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };

/** Runs `source` as a CommonJS file in `dir`; returns stdout and stderr together. */
async function runScript(dir: string, source: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<string> {
  const file = path.join(dir, `app-${Math.random().toString(36).slice(2)}.cjs`);
  writeFileSync(file, source);
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...QUIET_SDK_ENV, ...env };
  delete childEnv.NODE_OPTIONS;
  const { stdout, stderr } = await run(process.execPath, [...nodeArgs, file], { cwd: dir, env: childEnv });
  return stdout + stderr;
}

/** How many times `text` occurs in `output`. */
function count(output: string, text: string): number {
  return output.split(text).length - 1;
}

/** The README's NodeSDK setup, with the given options. */
function readmeSetup(options: string): string {
  return `
const { NodeSDK } = require(${JSON.stringify(SDK_NODE)});
const { BudResponsesInstrumentation } = require(${JSON.stringify(BUILD_INDEX)});
const sdk = new NodeSDK({
  serviceName: 'my-app',
  instrumentations: [new BudResponsesInstrumentation(${options})],
});
sdk.start();
`;
}

/** A fake openai package of `version` in `dir`/node_modules (what the hooks see of it: its package.json). */
function fakeOpenAI(dir: string, version: string): void {
  const pkg = path.join(dir, 'node_modules', 'openai');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'openai', version, main: 'index.js' }));
  writeFileSync(path.join(pkg, 'index.js'), 'class OpenAI {}\nmodule.exports = OpenAI;\nmodule.exports.OpenAI = OpenAI;\n');
}

describe('problems are reported where users look', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bud-problems-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('with the README NodeSDK setup and OTEL_LOG_LEVEL=warn', () => {
    it('invalid options and environment values: one warning each, naming the value given and the value used', async function () {
      this.timeout(30_000);
      const output = await runScript(
        dir,
        readmeSetup(`{ captureInput: 'yes', maxContentLength: -5, pricing: { 'gpt-4.1': { input: 'two', output: 8 } } }`) +
          // A second instance with the same mistakes, and a later setConfig: still once each.
          `new BudResponsesInstrumentation({ captureInput: 'yes' }).setConfig({ maxContentLength: -5 });
sdk.shutdown().then(() => console.log('shut down'));`,
        { OTEL_LOG_LEVEL: 'warn', OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'maybe' },
      );
      const expected = [
        `${PACKAGE_NAME}: config captureInput must be true, false or a list of field names; got "yes", using true`,
        `${PACKAGE_NAME}: config maxContentLength must be a positive integer; got -5, using 16384`,
        `${PACKAGE_NAME}: config pricing["gpt-4.1"] must be {input, output, cachedInput?, currency?}`,
        `${PACKAGE_NAME}: env OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="maybe" is not one of true, false, NO_CONTENT, SPAN_ONLY, EVENT_ONLY, SPAN_AND_EVENT; ignored`,
      ];
      for (const line of expected) assert.equal(count(output, line), 1, `once: ${line}\n--- output:\n${output}`);
      assert.match(output, /shut down/);
    });

    it('without OTEL_LOG_LEVEL (no logger installed) nothing is printed', async function () {
      this.timeout(30_000);
      const output = await runScript(dir, readmeSetup(`{ captureInput: 'yes' }`) + 'sdk.shutdown();', {});
      assert.doesNotMatch(output, /captureInput/);
    });

    it('an openai copy outside the supported range: one warning with its version and the range', async function () {
      this.timeout(30_000);
      const newer = path.join(dir, 'newer');
      const older = path.join(dir, 'older');
      fakeOpenAI(newer, '8.0.0');
      fakeOpenAI(older, '4.50.0');
      const output = await runScript(
        dir,
        readmeSetup('') +
          `require(require.resolve('openai', { paths: [${JSON.stringify(newer)}] }));
require(require.resolve('openai', { paths: [${JSON.stringify(older)}] }));
require(require.resolve('openai', { paths: [${JSON.stringify(newer)}] }));
sdk.shutdown();`,
        { OTEL_LOG_LEVEL: 'warn' },
      );
      assert.equal(count(output, `${PACKAGE_NAME}: ${unsupportedOpenAIMessage('8.0.0')}`), 1, output);
      assert.equal(count(output, `${PACKAGE_NAME}: ${unsupportedOpenAIMessage('4.50.0')}`), 1, output);
      assert.match(unsupportedOpenAIMessage('8.0.0'), /^openai 8\.0\.0 is outside the supported range >=4\.87\.0 <8: it is not instrumented/);
    });

    it('the supported openai of this checkout: no such warning', async function () {
      this.timeout(30_000);
      const output = await runScript(dir, readmeSetup('') + `require(${JSON.stringify(path.join(ROOT, 'node_modules/openai'))}); sdk.shutdown();`, {
        OTEL_LOG_LEVEL: 'warn',
      });
      assert.doesNotMatch(output, /outside the supported range/);
    });
  });

  it('the zero-code entry: BUD_OTEL_CAPTURE_INPUT=yes is a warning with OTEL_LOG_LEVEL=warn, and the default is used', async function () {
    this.timeout(30_000);
    const output = await runScript(
      dir,
      `const { BudResponsesInstrumentation } = require(${JSON.stringify(BUILD_INDEX)}); console.log('started');`,
      { OTEL_LOG_LEVEL: 'warn', BUD_OTEL_CAPTURE_INPUT: 'yes' },
      ['--require', BUILD_REGISTER],
    );
    assert.equal(count(output, `${PACKAGE_NAME}: env BUD_OTEL_CAPTURE_INPUT="yes" is not true, false or a comma-separated list of field names`), 1, output);
    assert.match(output, /using the default \(true\)/);
  });

  it('the supported and the reported ranges are complements', () => {
    // The same semver the base class decides with.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { satisfies } = require('@opentelemetry/instrumentation/build/src/semver') as {
      satisfies: (version: string, range: string) => boolean;
    };
    for (const version of ['0.1.0', '3.9.9', '4.86.9', '4.87.0', '4.104.0', '5.0.0', '6.49.0', '7.99.9', '8.0.0', '9.1.2']) {
      const supported = satisfies(version, SUPPORTED_OPENAI_VERSIONS);
      const reported = UNSUPPORTED_OPENAI_VERSIONS.some((range) => satisfies(version, range));
      assert.notEqual(supported, reported, version);
    }
  });

  describe('in process: the rule', () => {
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m), error: () => {}, info: () => {}, debug: () => {}, verbose: () => {} };
    beforeEach(() => {
      warnings.length = 0;
      diag.disable();
      resetReportedProblems();
    });
    afterEach(() => diag.disable());

    it('found with no logger: logged at the next setTracerProvider once one is installed, and never again', () => {
      const instrumentation = new BudResponsesInstrumentation({ spanName: '', enabled: false });
      assert.deepEqual(warnings, []);
      diag.setLogger(logger, DiagLogLevel.WARN);
      instrumentation.setTracerProvider(trace.getTracerProvider());
      instrumentation.setMeterProvider({ getMeter: () => undefined as never });
      instrumentation.enable();
      instrumentation.disable();
      new BudResponsesInstrumentation({ spanName: '', enabled: false });
      assert.deepEqual(warnings, [`${PACKAGE_NAME}: config spanName must be a non-empty string; got "", using "responses"`]);
    });

    it('found with a logger installed: logged at once', () => {
      diag.setLogger(logger, DiagLogLevel.WARN);
      new BudResponsesInstrumentation({ system: 7 as never, enabled: false });
      assert.deepEqual(warnings, [`${PACKAGE_NAME}: config system must be a non-empty string; got 7, using the provider of the endpoint`]);
    });

    it('enable() delivers too', () => {
      const instrumentation = new BudResponsesInstrumentation({ propagateContext: 'no' as never, enabled: false });
      diag.setLogger(logger, DiagLogLevel.WARN);
      instrumentation.enable();
      instrumentation.disable();
      assert.deepEqual(warnings, [`${PACKAGE_NAME}: config propagateContext must be a boolean; got "no", using true`]);
    });
  });
});
