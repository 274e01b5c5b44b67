/*
 * The main-thread part of the zero-code entry (see register.ts): starts the OpenTelemetry Node
 * SDK (`@opentelemetry/sdk-node`, a peer dependency) with this package's instrumentation only.
 * The SDK reads the standard OTEL_* variables; BUD_OTEL_* variables configure the
 * instrumentation (register-env.ts). Telemetry is flushed when the process ends
 * (register-exit.ts has the exact rule). Nothing here ever throws into the application.
 */
import type { NodeSDK } from '@opentelemetry/sdk-node';
import { BudResponsesInstrumentation } from '../instrumentation';
import { exporterHint, settingsFromEnv, type RegisterSettings } from './env';
import { ExitFlush, type FlushOutcome } from './exit';
import { moduleRegister, registerOpenAIHook } from './hook';
import { reportOnce } from '../problems';
import { describeError, installDiagLogger, warn } from './logger';

/** One registration per process (its exit flush), even when two copies of this file are loaded. */
const REGISTRATION = Symbol.for('@budecosystem/instrumentation-responses/register');
type GlobalWithRegistration = typeof globalThis & { [REGISTRATION]?: ExitFlush | null };

function loadNodeSDK(): typeof NodeSDK | undefined {
  try {
    // A plain require, so that a missing peer dependency is a warning and not a crash.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('@opentelemetry/sdk-node') as { NodeSDK: typeof NodeSDK }).NodeSDK;
  } catch (error) {
    warn(
      `@opentelemetry/sdk-node could not be loaded (${describeError(error)}); ` +
        'install it next to this package (npm install @opentelemetry/sdk-node). Telemetry is off.',
    );
    return undefined;
  }
}

function startSdk(Sdk: typeof NodeSDK, settings: RegisterSettings): ExitFlush {
  const hook = registerOpenAIHook(moduleRegister());
  const sdk = new Sdk({ instrumentations: [new BudResponsesInstrumentation(settings.config)] });
  // After the SDK's constructor, which installs its own logger when OTEL_LOG_LEVEL is set.
  for (const message of settings.warnings) reportOnce(message);
  // Under Bun and Deno the instrumentation warns later, and only if no openai copy was instrumented.
  if (!hook.registered && hook.runtime === undefined) warn(`ESM imports of openai will not be instrumented: ${hook.reason}`);
  sdk.start();
  const exitFlush = new ExitFlush({
    shutdown: () => sdk.shutdown(),
    timeoutMs: settings.shutdownTimeoutMs,
    warn,
    hint: exporterHint(process.env),
  });
  exitFlush.install();
  return exitFlush;
}

function register(): ExitFlush | null {
  const settings = settingsFromEnv(process.env);
  if (settings.disabled) return null;
  installDiagLogger(process.env);
  const Sdk = loadNodeSDK();
  if (!Sdk) return null;
  try {
    return startSdk(Sdk, settings);
  } catch (error) {
    warn(`could not start the OpenTelemetry SDK (${describeError(error)}); telemetry is off`);
    return null;
  }
}

function registration(): ExitFlush | null {
  const holder = globalThis as GlobalWithRegistration;
  if (holder[REGISTRATION] === undefined) holder[REGISTRATION] = register();
  return holder[REGISTRATION] ?? null;
}

registration();

/** See `shutdown` in register.ts. */
export function shutdown(): Promise<FlushOutcome | 'disabled'> {
  return registration()?.flush() ?? Promise.resolve('disabled');
}
