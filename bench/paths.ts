/*
 * Where things live. The benchmark compiles to build/bench/, so the repository root is two
 * levels up from here. Two module roots exist: the repository's own node_modules (openai 7,
 * the OTel 2.x SDK) and bench/.work/node_modules (openai 6, the official instrumentation and
 * the OTel 3.x SDK it needs), installed by deps.ts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const BENCH_DIR = path.join(ROOT, 'bench');
export const WORK_DIR = path.join(BENCH_DIR, '.work');
export const RESULTS_FILE = path.join(BENCH_DIR, 'results.json');
export const CHILD_SCRIPT = path.join(__dirname, 'child.js');

/** `main`: the repository's node_modules; `work`: bench/.work/node_modules. */
export type ModuleRoot = 'main' | 'work';

export function rootDir(root: ModuleRoot): string {
  return root === 'main' ? ROOT : WORK_DIR;
}

/** A `require` that resolves packages as a file in that root would. */
export function requireFrom(root: ModuleRoot): NodeRequire {
  return createRequire(path.join(rootDir(root), 'package.json'));
}

/** The installed version of a package in a root, read from its package.json (not via exports). */
export function packageVersion(root: ModuleRoot, name: string): string | undefined {
  const file = path.join(rootDir(root), 'node_modules', name, 'package.json');
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
    return typeof parsed.version === 'string' ? parsed.version : undefined;
  } catch {
    return undefined;
  }
}
