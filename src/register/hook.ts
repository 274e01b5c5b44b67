/*
 * The ESM side of the zero-code entry: import-in-the-middle's loader hook, so that
 * `import OpenAI from 'openai'` is patched too. Only `openai` goes through the hook: running
 * every module through it breaks openai 4's ESM build (its shims must load first).
 *
 * Registered under `--require` as well (harmless for CommonJS, and it makes
 * `node --require .../register app.mjs` work). Skipped on a Node.js without `module.register`.
 */
import * as nodeModule from 'node:module';
import { pathToFileURL } from 'node:url';
import { describeError } from './logger';

export const HOOK_SPECIFIER = '@opentelemetry/instrumentation/hook.mjs';
export const HOOKED_MODULES: readonly string[] = ['openai'];

type Register = (specifier: string, parentURL: string | URL, options: { data: unknown }) => void;

/**
 * `runtime`: Bun or Deno, which have no loader hooks; the instrumentation itself warns there when
 * no openai copy was instrumented (unseen-hint.ts), so nothing needs saying at start.
 */
export type HookResult = { registered: true } | { registered: false; reason: string; runtime?: 'Bun' | 'Deno' };

/** Node's `module.register`, or undefined on a Node.js without it. */
export function moduleRegister(): unknown {
  return (nodeModule as { register?: unknown }).register;
}

/**
 * Registers the hook with `register` (normally `moduleRegister()`), resolved from this package's
 * own location, so that it is the copy of import-in-the-middle the instrumentation uses.
 */
export function registerOpenAIHook(register: unknown): HookResult {
  if (typeof register !== 'function') {
    const runtime = typeof (globalThis as { Deno?: unknown }).Deno === 'object' ? 'Deno' : typeof (globalThis as { Bun?: unknown }).Bun === 'object' ? 'Bun' : undefined;
    return runtime
      ? { registered: false, runtime, reason: `${runtime} has no module.register: ESM imports of openai are not hooked (use manuallyInstrument())` }
      : { registered: false, reason: 'this Node.js has no module.register (needs 20.6 or later)' };
  }
  try {
    (register as Register)(HOOK_SPECIFIER, pathToFileURL(__filename), { data: { include: [...HOOKED_MODULES] } });
    return { registered: true };
  } catch (error) {
    return { registered: false, reason: describeError(error) };
  }
}
