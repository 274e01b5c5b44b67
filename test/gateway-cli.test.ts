/*
 * `npm run gateway`: the embedded gateway in a process of its own, its port from `--port` or
 * PORT, called with the real openai client.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import OpenAI from 'openai';
import { cliSettings, DEFAULT_PORT } from '../gateway/cli';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'build/gateway/cli.js');

/** A port that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts the CLI and waits for the URL it prints. */
function startCli(args: string[], env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve({ child, url: match[1], output: () => output });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the gateway exited (${code}) before it listened: ${output}`)));
  });
}

/** The reply text from the output items (openai 4.87 has no `output_text` on a created Response). */
function replyText(response: OpenAI.Responses.Response): string {
  return response.output
    .flatMap((item) => (item.type === 'message' ? item.content : []))
    .map((part) => (part.type === 'output_text' ? part.text : ''))
    .join('');
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('npm run gateway', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('is the script of package.json', () => {
    const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.match(scripts.gateway, /node build\/gateway\/cli\.js$/);
  });

  it('listens on --port, prints its URL and the base URL, answers the openai client, stops on SIGTERM', async function () {
    this.timeout(20_000);
    const port = await freePort();
    const started = await startCli(['--port', String(port)], { ...process.env, PORT: '1' });
    children.push(started.child);
    assert.equal(started.url, `http://127.0.0.1:${port}`);
    const client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'local', maxRetries: 0 });
    const response = await client.responses.create({ model: 'gpt-4.1', input: 'hello there' });
    assert.match(replyText(response), /^Echo: hello there/);
    let text = '';
    for await (const event of await client.responses.create({ model: 'gpt-4.1', input: 'streamed', stream: true })) {
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    assert.match(text, /^Echo: streamed/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(started.output().includes(`OPENAI_BASE_URL=${started.url}/v1`), started.output());
    const exited = exitOf(started.child);
    started.child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  it('takes the port from PORT when --port is not given', async function () {
    this.timeout(20_000);
    const port = await freePort();
    const started = await startCli([], { ...process.env, PORT: String(port) });
    children.push(started.child);
    assert.equal(started.url, `http://127.0.0.1:${port}`);
    const client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'local', maxRetries: 0 });
    assert.match(replyText(await client.responses.create({ model: 'm', input: 'via PORT' })), /^Echo: via PORT/);
  });

  it('a bad port is a usage error (exit 2), the default port is 8787', async () => {
    const child = spawn(process.execPath, [CLI, '--port', 'eighty'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    assert.equal(await exitOf(child), 2);
    assert.match(stderr, /--port must be a whole number from 0 to 65535; got "eighty"/);
    assert.equal(cliSettings([], {}).port, DEFAULT_PORT);
    assert.equal(DEFAULT_PORT, 8787);
    assert.throws(() => cliSettings([], { PORT: '70000' }), /PORT must be a whole number/);
  });
});
