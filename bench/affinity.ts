/*
 * Optional CPU pinning for the timing phase (BENCH_PIN=1; Linux, with `taskset`, 2+ CPUs): the
 * coordinator, which runs the gateway, stays on the first CPU and every measuring child on the
 * last one. Every variant then talks to the gateway across the same CPU boundary, instead of
 * whatever the scheduler happened to choose for each process. Elsewhere this does nothing.
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';

function cpuCount(): number {
  return os.cpus().length;
}

/** Pins every thread of `pid` to `cpu`; false when that is not possible here. */
function pin(pid: number, cpu: number): boolean {
  if (process.platform !== 'linux' || cpuCount() < 2) return false;
  const result = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
  return result.status === 0;
}

export function pinCoordinator(): boolean {
  return pin(process.pid, 0);
}

export function pinMeasuringChild(pid: number): boolean {
  return pin(pid, cpuCount() - 1);
}

/** Lets the coordinator use every CPU again (for the heap phase, where two children run). */
export function unpinCoordinator(): void {
  if (process.platform !== 'linux' || cpuCount() < 2) return;
  spawnSync('taskset', ['-a', '-p', '-c', `0-${cpuCount() - 1}`, String(process.pid)], { stdio: 'ignore' });
}
