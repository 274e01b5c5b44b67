/*
 * The documentation only points at what the repository holds: every relative link of a tracked
 * Markdown file resolves to a file or folder of the checkout, and no tracked file refers to the
 * outside documents the project was specified with. The README stays a manual (at most 20 KB).
 */
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { checkoutFiles, isCheckout, ROOT } from './checkout';

describe('documentation', () => {
  before(function () {
    if (!isCheckout()) this.skip(); // a matrix cell: the same files as the checkout, checked there
  });

  it('every relative link in a Markdown file points to a file of the repository', () => {
    const broken: string[] = [];
    let links = 0;
    for (const file of checkoutFiles('*.md')) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target)) continue;
        links++;
        const resolved = path.resolve(ROOT, path.dirname(file), target.split('#')[0]);
        if (!resolved.startsWith(ROOT + path.sep) || !existsSync(resolved)) broken.push(`${file}: ${target}`);
      }
    }
    assert.ok(links > 5, `the Markdown files have relative links (${links})`);
    assert.deepEqual(broken, []);
  });

  it('no file refers to the specification documents kept outside the repository', () => {
    const outside = ['CONTRACT' + '.md', 'CONTRACT' + ' §', 'OPENAI-' + 'NOTES', 'PEERS' + '.md'];
    const found: string[] = [];
    for (const file of checkoutFiles()) {
      if (file === 'package-lock.json' || file.startsWith('test/fixtures/semconv-')) continue;
      const full = path.join(ROOT, file);
      if (statSync(full).size > 2_000_000) continue;
      const text = readFileSync(full, 'utf8');
      for (const needle of outside) if (text.includes(needle)) found.push(`${file}: ${needle}`);
    }
    assert.deepEqual(found, []);
  });

  it('the README is at most 20 KB and names the commands it tells a newcomer to run', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.ok(Buffer.byteLength(readme) <= 20 * 1024, `README.md is ${Buffer.byteLength(readme)} bytes`);
    const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const command of readme.matchAll(/npm run ([a-z:]+)/g)) assert.ok(scripts[command[1]], `package.json has the script ${command[1]}`);
  });
});
