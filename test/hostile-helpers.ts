/*
 * Helpers of the hostile-input tests (hostile.test.ts, fuzz.test.ts): gateway answers given as
 * they are, and the child-process fixtures of test/fixtures/hostile.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { gateway, scenario } from './harness';

/** Request options of a gateway answer given as is (gateway scenarios raw_json / raw_sse / raw_headers). */
export function rawReply(reply: { json?: unknown; sse?: string; headers?: Record<string, string> }): { headers: Record<string, string> } {
  const items: string[] = [];
  if (reply.json !== undefined) items.push(`raw_json=${encodeURIComponent(JSON.stringify(reply.json))}`);
  if (reply.sse !== undefined) items.push(`raw_sse=${encodeURIComponent(reply.sse)}`);
  if (reply.headers) items.push(`raw_headers=${encodeURIComponent(JSON.stringify(reply.headers))}`);
  return scenario(items.join(','));
}

/** A completed Response with this model and usage, as the gateway would send it. */
export function responseWith(model: string, usage: unknown): Record<string, unknown> {
  return { id: 'resp_hostile', object: 'response', created_at: 1, model, status: 'completed', output: [], usage };
}

export interface ChildRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a fixture of test/fixtures (`hostile/` unless `name` names its folder) with the gateway's URL and `env`. */
export function runFixture(name: string, env: Record<string, string>): Promise<ChildRun> {
  const script = path.join(__dirname, '..', '..', 'test', 'fixtures', name.includes('/') ? name : `hostile/${name}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, GATEWAY_URL: gateway().url, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export const lastLine = (run: ChildRun): Record<string, unknown> => JSON.parse(run.stdout.trim().split('\n').pop() || '{}') as Record<string, unknown>;

