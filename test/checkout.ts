/*
 * The files of this checkout as git sees them: tracked and new (not ignored) files, without the
 * deleted ones, so that uncommitted work counts and build output does not. A matrix cell is a
 * copy of the project inside the checkout's ignored `.matrix/` folder, not a checkout: there
 * `isCheckout()` is false and the tests that read the file list skip.
 */
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
}

/** Whether ROOT is the top of a git work tree (a clone or a worktree, not a copy inside one). */
export function isCheckout(): boolean {
  try {
    return realpathSync(git(['rev-parse', '--show-toplevel']).trim()) === realpathSync(ROOT);
  } catch {
    return false;
  }
}

/** Paths relative to ROOT; `pattern` is a git pathspec such as `*.md`. */
export function checkoutFiles(pattern?: string): string[] {
  const gone = new Set(git(['ls-files', '-z', '--deleted']).split('\0'));
  return git(['ls-files', '-z', '--cached', '--others', '--exclude-standard', ...(pattern ? [pattern] : [])])
    .split('\0')
    .filter((f) => f !== '' && !gone.has(f));
}
