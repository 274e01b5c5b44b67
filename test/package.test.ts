/*
 * What `npm pack` puts in the published package: the license, and every source map a compiled
 * file points to, with the TypeScript sources that map names (no dangling reference). And that a
 * checkout with no build/ packs the compiled entry points (prepack), and that the tarball,
 * installed into an empty application, loads from CommonJS and ESM.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { checkoutFiles, isCheckout } from './checkout';

const ROOT = path.resolve(__dirname, '../..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('the packed package', () => {
  let files: Set<string>;

  before(async function () {
    this.timeout(60_000);
    const { stdout } = await promisify(execFile)(NPM, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
    const [packed] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>;
    files = new Set(packed.files.map((f) => f.path));
  });

  it('ships the Apache-2.0 LICENSE its package.json names', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { license: string };
    assert.equal(manifest.license, 'Apache-2.0');
    assert.ok(files.has('LICENSE'), 'LICENSE is in the package');
    const text = readFileSync(path.join(ROOT, 'LICENSE'), 'utf8');
    assert.match(text, /^\s*Apache License\s+Version 2\.0, January 2004/);
  });

  it('ships the entry points of package.json exports', () => {
    for (const entry of ['build/src/index.js', 'build/src/index.d.ts', 'build/src/register/index.js', 'build/src/register/index.d.ts']) {
      assert.ok(files.has(entry), `${entry} is in the package`);
    }
  });

  it('every sourceMappingURL of a shipped file resolves to a shipped map, and every map source is shipped', () => {
    let maps = 0;
    for (const file of files) {
      if (!file.endsWith('.js') && !file.endsWith('.d.ts')) continue;
      const match = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(path.join(ROOT, file), 'utf8'));
      if (!match) continue;
      const map = path.posix.join(path.posix.dirname(file), match[1]);
      assert.ok(files.has(map), `${file} points to ${map}, which the package does not ship`);
      maps++;
      const { sources, sourceRoot = '' } = JSON.parse(readFileSync(path.join(ROOT, map), 'utf8')) as { sources: string[]; sourceRoot?: string };
      for (const source of sources) {
        const shipped = path.posix.normalize(path.posix.join(path.posix.dirname(map), sourceRoot, source));
        assert.ok(files.has(shipped), `${map} names ${shipped}, which the package does not ship`);
      }
    }
    assert.ok(maps > 0, 'the compiled files have source maps (tsconfig sourceMap)');
  });
});

const run = promisify(execFile);


/** `npm install` of a tarball, from the npm cache only when it has everything (`npm ci` filled it). */
async function installOffline(tarball: string, cwd: string): Promise<void> {
  const args = ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball];
  try {
    await run(NPM, [...args, '--offline'], { cwd });
  } catch (error) {
    if (!/ENOTCACHED/.test(String((error as { stderr?: unknown }).stderr))) throw error;
    await run(NPM, [...args, '--prefer-offline'], { cwd });
  }
}

describe('a checkout with no build/, packed and installed into an empty application', () => {
  let work: string;
  let packed: Set<string>;
  let app: string;

  before(async function () {
    // A matrix cell is a copy, not a checkout; packing does not depend on its openai version.
    if (!isCheckout()) this.skip();
    this.timeout(180_000);
    work = mkdtempSync(path.join(tmpdir(), 'bud-pack-'));
    const checkout = path.join(work, 'checkout');
    // What a fresh clone has, plus uncommitted files; never build/ (ignored), which prepack makes.
    for (const file of checkoutFiles()) {
      mkdirSync(path.dirname(path.join(checkout, file)), { recursive: true });
      copyFileSync(path.join(ROOT, file), path.join(checkout, file));
    }
    // The dev dependencies prepack compiles with, as `npm ci` would have installed them.
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(checkout, 'node_modules'), 'dir');
    const { stdout } = await run(NPM, ['pack', '--json', '--pack-destination', work], { cwd: checkout, maxBuffer: 16 * 1024 * 1024 });
    const [result] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    packed = new Set(result.files.map((f) => f.path));
    app = path.join(work, 'app');
    mkdirSync(app);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    await installOffline(path.join(work, result.filename), app);
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the tarball holds every file package.json points to (main, types, exports)', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      main: string;
      types: string;
      exports: Record<string, string | Record<string, string>>;
    };
    const targets = [manifest.main, manifest.types];
    for (const entry of Object.values(manifest.exports)) targets.push(...(typeof entry === 'string' ? [entry] : Object.values(entry)));
    for (const target of targets) assert.ok(packed.has(path.posix.normalize(target)), `${target} is in the tarball`);
  });

  it('both entry points load in the application, from CommonJS and from ESM', async function () {
    this.timeout(30_000);
    const env = { ...process.env, OTEL_SDK_DISABLED: 'true' };
    const cjs =
      "const m = require('@budecosystem/instrumentation-responses');" +
      "const r = require('@budecosystem/instrumentation-responses/register');" +
      'console.log(JSON.stringify([typeof m.BudResponsesInstrumentation, m.SUPPORTED_OPENAI_VERSIONS, typeof r.shutdown]));';
    const esm =
      "import { BudResponsesInstrumentation, SUPPORTED_OPENAI_VERSIONS } from '@budecosystem/instrumentation-responses';" +
      "import { shutdown } from '@budecosystem/instrumentation-responses/register';" +
      'console.log(JSON.stringify([typeof BudResponsesInstrumentation, SUPPORTED_OPENAI_VERSIONS, typeof shutdown]));';
    const expected = ['function', '>=4.87.0 <8', 'function'];
    const fromCjs = await run(process.execPath, ['-e', cjs], { cwd: app, env });
    assert.deepEqual(JSON.parse(fromCjs.stdout), expected);
    const fromEsm = await run(process.execPath, ['--input-type=module', '-e', esm], { cwd: app, env });
    assert.deepEqual(JSON.parse(fromEsm.stdout), expected);
    // The application resolved the installed copy, not this checkout.
    const where = await run(process.execPath, ['-p', "require.resolve('@budecosystem/instrumentation-responses')"], { cwd: app });
    assert.ok(where.stdout.trim().startsWith(path.join(app, 'node_modules')), where.stdout);
  });
});
