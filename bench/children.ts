/*
 * The coordinator's side of a variant's child process: start it, send one command, wait for its
 * one answer. Requests never overlap, so only one child works at a time.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { CHILD_SCRIPT } from './paths';
import {
  ENV_GATEWAY,
  ENV_VARIANT,
  type ChildInfo,
  type ChildMessage,
  type Command,
  type Reply,
  type VariantSpec,
} from './protocol';

type Waiter = { resolve: (message: ChildMessage) => void; reject: (error: Error) => void };

export class VariantProcess {
  private readonly process: ChildProcess;
  private waiter: Waiter | undefined;
  private exited = false;

  private constructor(
    readonly spec: VariantSpec,
    gatewayUrl: string,
    execArgv: string[],
  ) {
    this.process = fork(CHILD_SCRIPT, [], {
      env: { ...process.env, [ENV_VARIANT]: JSON.stringify(spec), [ENV_GATEWAY]: gatewayUrl },
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.process.on('message', (message: ChildMessage) => this.settle((w) => w.resolve(message)));
    this.process.on('exit', (code, signal) => {
      this.exited = true;
      this.settle((w) => w.reject(new Error(`${spec.id}: child exited (${String(code ?? signal)})`)));
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  /** Starts the child and resolves once it has loaded its variant. */
  static async start(spec: VariantSpec, gatewayUrl: string, execArgv: string[] = []): Promise<{ child: VariantProcess; info: ChildInfo }> {
    const child = new VariantProcess(spec, gatewayUrl, execArgv);
    const message = await child.next();
    if (message.type !== 'ready') throw new Error(`${spec.id}: expected ready, got ${message.type}`);
    return { child, info: message.info };
  }

  private settle(action: (waiter: Waiter) => void): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) action(waiter);
  }

  private next(): Promise<ChildMessage> {
    if (this.exited) return Promise.reject(new Error(`${this.spec.id}: child is not running`));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Sends a command and resolves with the child's answer (errors in the child reject). */
  async request(command: Command): Promise<Reply> {
    const answer = this.next();
    this.process.send(command);
    const message = await answer;
    if (message.type === 'error') throw new Error(`${this.spec.id}: ${message.message}`);
    if (message.type === 'ready') throw new Error(`${this.spec.id}: unexpected ready`);
    return message;
  }

  stop(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.process.once('exit', () => resolve());
      this.process.disconnect();
    });
  }
}
