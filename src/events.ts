/*
 * The GenAI events (docs/TELEMETRY.md §10) through the Logs API: which logger records go to (none when
 * only an API no-op is there, so nothing is built), and `emitCallEvents`, which `Call` calls
 * once, where the call ends. The records themselves are built in mapping/events.ts.
 */
import * as api from '@opentelemetry/api';
import { context, trace, type Span } from '@opentelemetry/api';
import * as apiLogs from '@opentelemetry/api-logs';
import type { Logger } from '@opentelemetry/api-logs';
import type { ResolvedConfig } from './config';
import { detailsEvent, exceptionEvent, type EventRecord } from './mapping/events';
import type { Params, ResponseLike } from './types';
import type { Attributes } from '@opentelemetry/api';
import { logger as diagLogger } from './util';

/** What a Logs API module may export, across versions (api-logs 0.2xx, `@opentelemetry/api` 1.10+). */
interface LogsModule {
  NoopLogger?: abstract new () => unknown;
  createNoopLogger?: () => object;
  logs?: { getLogger(name: string, version?: string): Logger };
}

function noopClassOf(mod: LogsModule): (abstract new () => unknown) | undefined {
  try {
    return mod.NoopLogger ?? (mod.createNoopLogger?.().constructor as (abstract new () => unknown) | undefined);
  } catch {
    return undefined;
  }
}

/** The no-op logger classes of the api-logs copy this package loads and of `@opentelemetry/api` (1.10+ has logs). */
const NOOP_LOGGER_CLASSES = [noopClassOf(apiLogs as LogsModule), noopClassOf(api as unknown as LogsModule)].filter(
  (c): c is abstract new () => unknown => typeof c === 'function',
);

function isNoopLogger(logger: unknown): boolean {
  for (const cls of NOOP_LOGGER_CLASSES) if (logger instanceof cls) return true;
  return false;
}

/**
 * The logger that records go to: `logger` itself, or the delegate of an API proxy logger (once
 * its provider has one; a proxy keeps its delegate); undefined for an API no-op or a proxy with
 * no provider yet. A logger of an unknown API copy counts as live.
 */
export function liveLogger(logger: unknown): Logger | undefined {
  if (logger === null || typeof logger !== 'object') return undefined;
  if (typeof (logger as Logger).emit !== 'function' || isNoopLogger(logger)) return undefined;
  const proxy = logger as { _delegate?: unknown; _getLogger?: () => unknown };
  if (typeof proxy._getLogger !== 'function') return logger as Logger;
  const target = proxy._delegate ?? proxy._getLogger();
  return target === null || typeof target !== 'object' || isNoopLogger(target) ? undefined : (target as Logger);
}

/**
 * The logger of one instrumentation instance: the instrumentation's own (its `setLoggerProvider`,
 * or the global provider of its api-logs copy), else the global provider of `@opentelemetry/api`
 * 1.10+ (where the OpenTelemetry JS 3.x line registers it). A live logger is kept until
 * `reset()` (the instrumentation got a new LoggerProvider); until one is found, each call
 * checks again, which costs a few property reads.
 */
export class EventLoggers {
  private live: Logger | undefined;
  /** `@opentelemetry/api`'s proxy logger, fetched once (null: that API has no logs). */
  private fromApi: Logger | null | undefined;

  constructor(
    private readonly name: string,
    private readonly version: string,
  ) {}

  reset(): void {
    this.live = undefined;
    this.fromApi = undefined;
  }

  get(own: unknown): Logger | undefined {
    if (this.live) return this.live;
    const live = liveLogger(own) ?? liveLogger(this.apiLogger());
    if (live) this.live = live;
    return live;
  }

  private apiLogger(): Logger | null {
    if (this.fromApi === undefined) {
      try {
        this.fromApi = (api as unknown as LogsModule).logs?.getLogger(this.name, this.version) ?? null;
      } catch {
        this.fromApi = null;
      }
    }
    return this.fromApi;
  }
}

/** What the events of a call need from it, read once where the call ends. */
export interface EndedCall {
  span: Span;
  /** The call's start attributes (operation, provider, request model, server). */
  base: Readonly<Attributes>;
  /** The details event is asked for: a create call with `emitOperationDetails`. */
  details: boolean;
  /** The params as read at the start (a copy, read once), for the details event. */
  params: Params | undefined;
  response: ResponseLike | undefined;
  /** `error.type`, when the call failed. */
  failure: string | undefined;
  /** What it failed with: the thrown error, the stream `error` event, the Response's `error`. */
  cause: unknown;
  streaming: boolean;
  config: ResolvedConfig;
}

/**
 * Emits the call's events in its span's context: the exception event when it failed, the
 * details event when asked for. Never throws; a successful call without the details event
 * builds nothing.
 */
export function emitCallEvents(logger: Logger, ended: EndedCall): void {
  if (ended.failure === undefined && !ended.details) return;
  try {
    const ctx = trace.setSpan(context.active(), ended.span);
    const { config } = ended;
    if (ended.failure !== undefined) {
      emit(logger, exceptionEvent(ended.failure, ended.cause, config.maxContentLength), ctx);
    }
    if (ended.details) {
      const record = detailsEvent({
        base: ended.base,
        params: ended.params,
        response: ended.response,
        failure: ended.failure,
        streaming: ended.streaming,
        content: config.eventContent,
        maxContentLength: config.maxContentLength,
        maxContentTotalLength: config.maxContentTotalLength,
      });
      emit(logger, record, ctx);
    }
  } catch (err) {
    diagLogger.debug('could not emit an event', err);
  }
}

function emit(logger: Logger, record: EventRecord, ctx: api.Context): void {
  // Structured content is a valid AnyValue; the API's own types do not say so for Json objects.
  logger.emit({ ...record, context: ctx } as Parameters<Logger['emit']>[0]);
}
