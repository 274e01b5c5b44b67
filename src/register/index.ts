/*
 * Zero-code start:
 *
 *   node --require @budecosystem/instrumentation-responses/register app.js    (CommonJS)
 *   node --import @budecosystem/instrumentation-responses/register app.mjs    (ESM)
 *
 * Starts the OpenTelemetry Node SDK with this package's instrumentation, configured by
 * environment variables (docs/ZERO-CODE.md), in the main thread only: Node 20 also runs
 * `--require` modules in the thread of the ESM loader hooks, and an application's worker threads
 * may inherit the flag. Those threads load nothing beyond this file.
 */
import { isMainThread } from 'node:worker_threads';
import type { FlushOutcome } from './exit';
import type * as RegisterStart from './start';

const started: typeof RegisterStart | undefined = isMainThread
  ? // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded in the main thread only
    (require('./start') as typeof RegisterStart)
  : undefined;

/**
 * Exports what is buffered and shuts the SDK down, once, within BUD_OTEL_SHUTDOWN_TIMEOUT_MS.
 * Await it before calling `process.exit()` yourself; a natural end and SIGTERM/SIGINT flush on
 * their own. Never rejects.
 */
export function shutdown(): Promise<FlushOutcome | 'disabled'> {
  return started?.shutdown() ?? Promise.resolve('disabled');
}
