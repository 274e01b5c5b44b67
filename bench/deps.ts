/*
 * The packages the openai 6 variants need, installed into bench/.work/ on first use and reused
 * afterwards. Nothing here touches the repository's own node_modules or package.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { WORK_DIR, packageVersion } from './paths';

interface WorkPackage {
  name: string;
  /** What `npm install` is asked for. */
  spec: string;
  /** An installed version must start with this to be reused. */
  prefix: string;
}

/**
 * openai 6 (the newest major the official instrumentation supports), the official
 * instrumentation, and the OTel API/SDK line it requires (api 1.10 and the 3.x SDK, logs included).
 */
export const WORK_PACKAGES: readonly WorkPackage[] = [
  { name: 'openai', spec: 'openai@^6', prefix: '6.' },
  { name: '@opentelemetry/instrumentation-openai', spec: '@opentelemetry/instrumentation-openai@~0.22.0', prefix: '0.22.' },
  { name: '@opentelemetry/api', spec: '@opentelemetry/api@~1.10.0', prefix: '1.10.' },
  { name: '@opentelemetry/sdk-trace', spec: '@opentelemetry/sdk-trace@^3', prefix: '3.' },
  { name: '@opentelemetry/sdk-metrics', spec: '@opentelemetry/sdk-metrics@^3', prefix: '3.' },
  { name: '@opentelemetry/context-async-hooks', spec: '@opentelemetry/context-async-hooks@^3', prefix: '3.' },
  { name: '@opentelemetry/core', spec: '@opentelemetry/core@^3', prefix: '3.' },
  // The LoggerProvider of the paired measurement's "with logs" configuration.
  { name: '@opentelemetry/sdk-logs', spec: '@opentelemetry/sdk-logs@^3', prefix: '3.' },
];

function missingPackages(): WorkPackage[] {
  return WORK_PACKAGES.filter((p) => !packageVersion('work', p.name)?.startsWith(p.prefix));
}

/** Installs whatever is missing from bench/.work/ (a no-op when the cache is complete). */
export function ensureWorkPackages(log: (line: string) => void): void {
  const missing = missingPackages();
  if (missing.length === 0) return;
  mkdirSync(WORK_DIR, { recursive: true });
  const specs = WORK_PACKAGES.map((p) => p.spec);
  log(`installing into bench/.work: ${specs.join(' ')}`);
  const result = spawnSync('npm', ['install', '--prefix', WORK_DIR, '--no-audit', '--no-fund', '--loglevel=error', ...specs], {
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (result.status !== 0) throw new Error(`npm install --prefix ${WORK_DIR} failed (exit ${String(result.status)})`);
  const still = missingPackages();
  if (still.length > 0) throw new Error(`still missing after install: ${still.map((p) => p.spec).join(', ')}`);
}
