/*
 * How this package puts its wrappers on the `openai` classes and takes them off again.
 *
 * - Every wrapper carries this package's own marker (`WRAPPER`, a `Symbol.for` key, so that two
 *   copies of the package recognise each other's wrappers); ours are recognised by it alone,
 *   never by the generic `__wrapped` flag. They also carry shimmer's `__wrapped`, `__original` and
 *   `__unwrap`, but their `__unwrap` does not remove them: an instrumentation that unwraps
 *   whatever wrapped function it finds before wrapping its own (the usual
 *   `if (isWrapped(x)) this._unwrap(...)` pattern, e.g. the official openai instrumentation's
 *   `enable()`) leaves ours in the chain, and that call tells this package to look again (on the
 *   next microtask) at who is on top.
 * - A registry per instrumentation instance remembers every (prototype, method) it patched, in
 *   every copy of `openai` (CommonJS and ESM, several versions), so `disable()` and `enable()`
 *   act on all of them, not only on the copy loaded last.
 * - Removing a wrapper never removes someone else's: a wrapper of ours that sits on top is
 *   replaced by what it wrapped; one below another wrapper of ours is spliced out; one below a
 *   foreign wrapper stays in the chain and passes calls through (it checks `isEnabled()`).
 * - The official `@opentelemetry/instrumentation-openai` (0.18+, openai < 7) wraps
 *   `Responses.prototype.create` too. This package supersedes that one wrapper (not the official
 *   chat completions or embeddings wrappers): a call skips it (it is called through its
 *   `__original`), and when it was put on top of ours our wrapper is moved back on top. Other
 *   wrappers (Sentry, Langfuse, ...) stay in the chain.
 */
import { logger } from './util';

export type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/** Marker on every function this package installs, with what it needs to undo it. */
export const WRAPPER: unique symbol = Symbol.for('@budecosystem/instrumentation-responses.wrapper') as never;

/** What a marked wrapper knows about itself (shared shape between copies of this package). */
export interface WrapperState {
  /** The instance that installed it. */
  readonly owner: object;
  /** The function it calls and restores on removal; rewritten when a wrapper below is spliced out. */
  inner: AnyFunction;
  /**
   * The superseded wrapper that was on top when this one was moved back above it (it wraps this
   * one): put back on removal, so that disabling this package gives the other instrumentation
   * its place again.
   */
  displaced?: AnyFunction;
}

type Marked = AnyFunction & { [WRAPPER]?: WrapperState };

/** The state of a wrapper of this package (any copy, any instance), or undefined. */
export function wrapperState(fn: unknown): WrapperState | undefined {
  if (typeof fn !== 'function') return undefined;
  const state = (fn as Marked)[WRAPPER];
  return typeof state === 'object' && state !== null && typeof state.inner === 'function' ? state : undefined;
}

interface ShimmerLike {
  __original?: unknown;
  __wrapped?: unknown;
}

const supersededCache = new WeakMap<object, boolean>();

/**
 * Whether `fn` is the official `@opentelemetry/instrumentation-openai` wrapper of
 * `Responses.prototype.create`: a shimmer wrapper (`__wrapped`, `__original`) whose code starts
 * that instrumentation's Responses span. Read once per function.
 */
export function isSupersededWrapper(fn: unknown): fn is AnyFunction & { __original: AnyFunction } {
  if (typeof fn !== 'function') return false;
  const shim = fn as ShimmerLike;
  if (shim.__wrapped !== true || typeof shim.__original !== 'function') return false;
  let known = supersededCache.get(fn);
  if (known === undefined) {
    try {
      known = Function.prototype.toString.call(fn).includes('_startResponsesSpan');
    } catch {
      known = false;
    }
    supersededCache.set(fn, known);
  }
  return known;
}

/** `fn` with the superseded wrappers directly on top of it skipped. */
export function skipSuperseded(fn: AnyFunction): AnyFunction {
  let current = fn;
  for (let i = 0; i < 16 && isSupersededWrapper(current); i++) {
    current = current.__original;
    announceSuperseded();
  }
  return current;
}

const ANNOUNCED = Symbol.for('@budecosystem/instrumentation-responses.superseded-announced');

/** Says once per process what was superseded. */
export function announceSuperseded(): void {
  const g = globalThis as Record<symbol, unknown>;
  if (g[ANNOUNCED]) return;
  g[ANNOUNCED] = true;
  logger.info(
    'supersedes the Responses.create span of @opentelemetry/instrumentation-openai ' +
      '(its wrapper is skipped for responses.create; its chat completions and embeddings spans are unchanged). ' +
      'Set supersedeOpenAIInstrumentation: false to keep both.',
  );
}

function define(target: object, key: PropertyKey, value: unknown, like?: PropertyDescriptor): void {
  Object.defineProperty(target, key, {
    value,
    writable: like?.writable ?? true,
    enumerable: like?.enumerable ?? false,
    configurable: true,
  });
}

/** Makes the wrapper function for a method, given the function it wraps (read per call from `state.inner`). */
export type WrapperFactory = (state: WrapperState) => AnyFunction;

interface Site {
  readonly proto: Record<string, unknown>;
  readonly method: string;
  readonly factory: WrapperFactory;
  /** Whether a superseded wrapper put above ours is moved below again (Responses.create). */
  readonly retake: boolean;
}

/** The sites patched by one instrumentation instance, in every openai copy it saw. */
export class PatchRegistry {
  private readonly sites: Site[] = [];
  private readonly siteIndex = new Map<object, Map<string, Site>>();

  constructor(
    private readonly owner: object,
    private readonly supersede: () => boolean,
    /** Called (on a microtask) when another instrumentation unwraps or wraps over one of ours. */
    private readonly onForeignUnwrap: () => void,
  ) {}

  /** Puts a wrapper of this instance on `proto[method]` (once; again after `unwrapAll`). */
  wrap(proto: Record<string, unknown>, method: string, factory: WrapperFactory, retake = false): void {
    let byMethod = this.siteIndex.get(proto);
    if (!byMethod) {
      byMethod = new Map();
      this.siteIndex.set(proto, byMethod);
    }
    let site = byMethod.get(method);
    if (!site) {
      site = { proto, method, factory, retake };
      byMethod.set(method, site);
      this.sites.push(site);
    }
    this.install(site);
  }

  /** Patches every site again (after `enable()`); sites already patched are left as they are. */
  rewrapAll(): void {
    for (const site of this.sites) this.install(site);
  }

  /** Removes this instance's wrappers from every site (every openai copy). */
  unwrapAll(): void {
    for (const site of this.sites) this.remove(site);
  }

  /** Removes this instance's wrappers from the sites of one prototype. */
  unwrapPrototype(proto: object): void {
    const byMethod = this.siteIndex.get(proto);
    if (byMethod) for (const site of byMethod.values()) this.remove(site);
  }

  /**
   * Puts this instance's wrapper back on top of every site where a superseded wrapper was put
   * over it (cheap when nothing changed: one property read per site).
   */
  retakeAll(): void {
    for (const site of this.sites) if (site.retake) this.retakeSite(site);
  }

  retakeSite(site: Site): void {
    if (!this.supersede()) return;
    const top = site.proto[site.method];
    if (wrapperState(top)) return; // a wrapper of this package (any instance) is on top
    let fn: unknown = top;
    let passed = 0;
    while (passed < 16 && isSupersededWrapper(fn)) {
      fn = fn.__original;
      passed++;
    }
    if (passed === 0) return; // another vendor's wrapper (or a test stub) is on top: left there
    announceSuperseded();
    const below = wrapperState(fn);
    if (below) {
      // Only superseded wrappers above a wrapper of this package: it goes back on top, they leave
      // the chain until it is removed.
      below.displaced = top as AnyFunction;
      define(site.proto, site.method, fn, Object.getOwnPropertyDescriptor(site.proto, site.method));
      return;
    }
    this.installOnTop(site);
  }

  private install(site: Site): void {
    const { proto, method } = site;
    // Already ours somewhere reachable only through superseded wrappers or our own wrappers?
    let fn: unknown = proto[method];
    for (let i = 0; i < 32 && typeof fn === 'function'; i++) {
      const state = wrapperState(fn);
      if (state) {
        if (state.owner === this.owner) {
          if (i > 0) this.retakeSite(site);
          return;
        }
        fn = state.inner;
        continue;
      }
      if (isSupersededWrapper(fn)) {
        fn = fn.__original;
        continue;
      }
      break;
    }
    this.installOnTop(site);
  }

  private installOnTop(site: Site): void {
    const { proto, method } = site;
    const current = proto[method];
    if (typeof current !== 'function') return;
    const state: WrapperState = { owner: this.owner, inner: current as AnyFunction };
    const wrapper = site.factory(state) as Marked;
    define(wrapper, WRAPPER, state);
    // shimmer's links (see the header): `__unwrap` keeps ours in place and looks again later.
    define(wrapper, '__original', current);
    define(wrapper, '__wrapped', true);
    define(wrapper, '__unwrap', () => queueMicrotask(this.onForeignUnwrap));
    define(proto, method, wrapper, Object.getOwnPropertyDescriptor(proto, method));
  }

  private remove(site: Site): void {
    const { proto, method } = site;
    const top = proto[method];
    const topState = wrapperState(top);
    if (topState?.owner === this.owner) {
      const restored = topState.displaced ?? topState.inner;
      topState.displaced = undefined;
      define(proto, method, restored, Object.getOwnPropertyDescriptor(proto, method));
      this.remove(site); // a second wrapper of this instance directly below (after a re-take)
      return;
    }
    // Below other wrappers of this package: splice ours out of their chain.
    let above = topState;
    for (let i = 0; i < 32 && above; i++) {
      const next = wrapperState(above.inner);
      if (!next) return;
      if (next.owner === this.owner) {
        above.inner = next.inner;
        continue;
      }
      above = next;
    }
    // Below a foreign wrapper: it stays, and passes calls through while this instance is disabled.
  }
}

const CONSTRUCTION_HOOKS = Symbol.for('@budecosystem/instrumentation-responses.construction-hooks');

type HookedPrototype = Record<PropertyKey, unknown> & { [CONSTRUCTION_HOOKS]?: Set<() => void> };

/**
 * Runs `hook` whenever an instance of the resource class of `proto` is constructed (the SDK's
 * `APIResource` constructor assigns `this._client = client`): an accessor on the prototype turns
 * that assignment into the same own data property, then runs the hooks. This is the first moment
 * after every instrumentation has patched a freshly loaded `openai` and before any call, so a
 * superseded wrapper put over ours in the same `require` is moved below again before the first
 * call. Removed with `removeConstructionHook`.
 */
export function addConstructionHook(proto: object, hook: () => void): void {
  const target = proto as HookedPrototype;
  let hooks = target[CONSTRUCTION_HOOKS];
  if (!hooks) {
    const existing = Object.getOwnPropertyDescriptor(target, '_client');
    if (existing) return; // something already defines `_client` here: left alone
    hooks = new Set();
    const running = hooks;
    define(target, CONSTRUCTION_HOOKS, running);
    Object.defineProperty(target, '_client', {
      configurable: true,
      enumerable: false,
      get(): unknown {
        return undefined;
      },
      set(this: object, client: unknown): void {
        Object.defineProperty(this, '_client', { value: client, writable: true, enumerable: true, configurable: true });
        for (const run of running) {
          try {
            run();
          } catch (err) {
            logger.error('construction hook failed', err);
          }
        }
      },
    });
  }
  hooks.add(hook);
}

export function removeConstructionHook(proto: object, hook: () => void): void {
  const target = proto as HookedPrototype;
  const hooks = target[CONSTRUCTION_HOOKS];
  if (!hooks) return;
  hooks.delete(hook);
  if (hooks.size > 0) return;
  delete target[CONSTRUCTION_HOOKS];
  const accessor = Object.getOwnPropertyDescriptor(target, '_client');
  if (accessor && typeof accessor.set === 'function') delete target._client;
}
