/*
 * `npm run demo`: a small app calling the Responses API with this package's instrumentation,
 * then the spans as a tree and a summary of the metrics.
 *
 * By default it talks to the embedded gateway (gateway/server.ts, the one the tests use). With
 * BUD_BASE_URL + BUD_API_KEY (or OPENAI_BASE_URL + OPENAI_API_KEY) it talks to that gateway
 * instead, with model BUD_MODEL (default gpt-4o-mini), and skips the steps that need the
 * embedded gateway's scenarios.
 */
import { startGateway } from '../gateway/server';
import type { DemoTarget } from './app';
import { formatMetrics, formatSpanTree } from './report';
import { startTelemetry } from './telemetry';

const DEFAULT_REMOTE_MODEL = 'gpt-4o-mini';
const EMBEDDED_MODEL = 'demo-model';

interface Target extends DemoTarget {
  close(): Promise<void>;
}

/** The remote gateway from the environment, if both its URL and key are set. */
function remoteTarget(env: NodeJS.ProcessEnv): Target | undefined {
  const baseURL = env.BUD_BASE_URL ?? env.OPENAI_BASE_URL;
  const apiKey = env.BUD_BASE_URL ? env.BUD_API_KEY : env.OPENAI_API_KEY;
  if (!baseURL || !apiKey) return undefined;
  const model = env.BUD_MODEL?.trim() || DEFAULT_REMOTE_MODEL;
  return { baseURL, apiKey, model, embedded: false, close: async () => {} };
}

async function embeddedTarget(): Promise<Target> {
  const gateway = await startGateway();
  return { baseURL: `${gateway.url}/v1`, apiKey: 'sk-demo', model: EMBEDDED_MODEL, embedded: true, close: () => gateway.close() };
}

function describeTarget(target: DemoTarget): string {
  const where = target.embedded ? 'embedded gateway' : 'gateway';
  return `Bud Responses instrumentation demo: ${where} ${target.baseURL}, model ${target.model}`;
}

async function main(): Promise<void> {
  const telemetry = startTelemetry();
  const target = remoteTarget(process.env) ?? (await embeddedTarget());
  try {
    // Loaded only now, so that the instrumentation sees `openai` being required.
    const { runDemo } = await import('./app');
    const steps = await runDemo(target);
    const metrics = await telemetry.collectMetrics();
    const report = [
      describeTarget(target),
      '',
      'What the app saw:',
      ...steps,
      '',
      'Spans (duration, status, key attributes):',
      ...formatSpanTree(telemetry.spans()),
      '',
      'Metrics (per instrument and attribute set):',
      ...formatMetrics(metrics),
    ];
    console.log(report.join('\n'));
  } finally {
    await target.close();
    await telemetry.shutdown();
  }
}

main().catch((error: unknown) => {
  console.error('demo failed:', error);
  process.exitCode = 1;
});
