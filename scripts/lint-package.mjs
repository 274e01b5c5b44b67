#!/usr/bin/env node
/*
 * Lints what `npm pack` (and so `npm publish`) would ship from a fresh clone: copies the
 * checkout's files (tracked and new, never build/) to a temporary folder, packs it there (its
 * `prepack` compiles src/, so this checkout's build/ is never touched, even while tests run on
 * it), then runs publint (strict: warnings fail) and Are the Types Wrong (node16 profile: CommonJS
 * and ESM importers under Node.js module resolution, and bundlers) on that one tarball.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

const dir = mkdtempSync(path.join(tmpdir(), 'bud-lint-package-'));
try {
  const checkout = path.join(dir, 'checkout');
  const gone = new Set(git('ls-files', '-z', '--deleted').split('\0'));
  for (const file of git('ls-files', '-z', '--cached', '--others', '--exclude-standard').split('\0')) {
    if (file === '' || gone.has(file)) continue;
    mkdirSync(path.dirname(path.join(checkout, file)), { recursive: true });
    copyFileSync(path.join(root, file), path.join(checkout, file));
  }
  symlinkSync(path.join(root, 'node_modules'), path.join(checkout, 'node_modules'), 'dir');
  const out = execFileSync(npm, ['pack', '--json', '--pack-destination', dir], {
    cwd: checkout,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const tarball = path.join(dir, JSON.parse(out)[0].filename);
  execFileSync(bin('publint'), ['run', tarball, '--strict'], { cwd: root, stdio: 'inherit' });
  execFileSync(bin('attw'), [tarball, '--profile', 'node16'], { cwd: root, stdio: 'inherit' });
} catch (error) {
  if (typeof error.status !== 'number') console.error(error instanceof Error ? error.message : error);
  process.exitCode = typeof error.status === 'number' && error.status !== 0 ? error.status : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
