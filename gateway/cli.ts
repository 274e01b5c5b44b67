/*
 * `npm run gateway`: the embedded gateway on its own, for trying an application (or the
 * instrumentation) with no API key and no network.
 *
 *   npm run gateway                    # http://127.0.0.1:8787
 *   npm run gateway -- --port 8080     # or PORT=8080 npm run gateway
 *   npm run gateway -- --host 0.0.0.0 --delay 50
 *
 * Prints its URL and the base URL a client uses, then serves until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startGateway, type Gateway } from './server';

export const DEFAULT_PORT = 8787;
/** Requests kept for inspection by a long-running gateway (the tests read them; a CLI needs few). */
const KEPT_REQUESTS = 1000;

const USAGE = 'usage: npm run gateway -- [--port N] [--host ADDRESS] [--delay MS]   (PORT=N also sets the port)';

export interface CliSettings {
  port: number;
  host: string;
  chunkDelayMs: number;
}

function whole(name: string, raw: string, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value > max) throw new Error(`${name} must be a whole number from 0 to ${max}; got ${JSON.stringify(raw)}`);
  return value;
}

/** The settings from the command line and the environment; throws on a bad value. Pure. */
export function cliSettings(argv: string[], env: Readonly<Record<string, string | undefined>>): CliSettings {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string', short: 'p' }, host: { type: 'string' }, delay: { type: 'string' } },
    strict: true,
  });
  const port = values.port ?? (env.PORT?.trim() ? env.PORT : undefined);
  return {
    port: port === undefined ? DEFAULT_PORT : whole(values.port !== undefined ? '--port' : 'PORT', port, 65535),
    host: values.host ?? '127.0.0.1',
    chunkDelayMs: values.delay === undefined ? 0 : whole('--delay', values.delay, 60_000),
  };
}

function printReady(gateway: Gateway): void {
  console.log(`Embedded Responses API gateway listening on ${gateway.url}`);
  console.log(`  OPENAI_BASE_URL=${gateway.url}/v1 OPENAI_API_KEY=local   (any key is accepted)`);
  console.log('  the x-mock-scenario header or a model name such as "fail-429" or "incomplete" picks a failure (gateway/server.ts)');
  console.log('  Ctrl-C stops it');
}

async function main(): Promise<void> {
  let settings: CliSettings;
  try {
    settings = cliSettings(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  let gateway: Gateway;
  try {
    gateway = await startGateway({ port: settings.port, host: settings.host, chunkDelayMs: settings.chunkDelayMs });
  } catch (error) {
    console.error(`could not listen on ${settings.host}:${settings.port}: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
    return;
  }
  printReady(gateway);
  const trim = setInterval(() => {
    if (gateway.requests.length > KEPT_REQUESTS) gateway.requests.splice(0, gateway.requests.length - KEPT_REQUESTS);
    if (gateway.streamStats.length > KEPT_REQUESTS) gateway.streamStats.splice(0, gateway.streamStats.length - KEPT_REQUESTS);
  }, 10_000);
  trim.unref();
  const stop = (): void => {
    clearInterval(trim);
    void gateway.close().then(() => console.log('gateway stopped'));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) void main();
