/*
 * What `npm pack` puts in the published package: the license, and every source map a compiled
 * file points to, with the TypeScript sources that map names (no dangling reference).
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

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
