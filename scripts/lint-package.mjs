#!/usr/bin/env node
/*
 * Lints what `npm pack` (and so `npm publish`) would ship: packs the package once (its
 * `prepack` compiles src/), then runs publint (strict: warnings fail) and Are the Types Wrong
 * (node16 profile: CommonJS and ESM importers under Node.js 16+ module resolution, and bundlers)
 * on that one tarball.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const dir = mkdtempSync(path.join(tmpdir(), 'bud-lint-package-'));
try {
  const out = execFileSync(npm, ['pack', '--json', '--pack-destination', dir], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const tarball = path.join(dir, JSON.parse(out)[0].filename);
  execFileSync(bin('publint'), ['run', tarball, '--strict'], { cwd: root, stdio: 'inherit' });
  execFileSync(bin('attw'), [tarball, '--profile', 'node16'], { cwd: root, stdio: 'inherit' });
} catch (error) {
  process.exitCode = typeof error.status === 'number' && error.status !== 0 ? error.status : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
