/*
 * The one path by which the package reads a call's arguments for telemetry (docs/TELEMETRY.md §8). The
 * application's objects may be Proxies, carry getters or a `toJSON`, or throw on any access; the
 * SDK reads them (and gives its own error) whatever we do. So this reads without running any of
 * the application's code where it can: a property's value is taken from its descriptor (a getter
 * is never called, so a getter that throws on its second read still gives the SDK its first),
 * `toJSON` is never called, and a Proxy sees one `ownKeys` per object and one
 * `getOwnPropertyDescriptor` per key read. Whatever cannot be read is left out; nothing here
 * throws. The copy is plain data (objects, arrays, primitives), so the mappers that turn it into
 * attributes cannot run application code either.
 */
import type { Params } from './types';

/** Nesting kept in a copy; deeper values are left out (the content mappers cut deeper anyway). */
const MAX_DEPTH = 32;

/** `value` copied as plain data: see the top of the file. `undefined` when it cannot be read. */
function copy(value: unknown, depth: number, seen: Set<object>): unknown {
  if (typeof value !== 'object' || value === null) return typeof value === 'function' ? undefined : value;
  if (depth > MAX_DEPTH || seen.has(value)) return undefined;
  seen.add(value);
  try {
    if (value instanceof Date) return Date.prototype.toISOString.call(value);
    const array = Array.isArray(value);
    const out: Record<string, unknown> | unknown[] = array ? [] : {};
    for (const key of Reflect.ownKeys(value)) {
      if (typeof key !== 'string' || (array && key === 'length')) continue;
      const read = dataValue(value, key);
      if (read === NOTHING) continue;
      const inner = copy(read, depth + 1, seen);
      if (inner !== undefined) (out as Record<string, unknown>)[key] = inner;
    }
    return out;
  } catch {
    return undefined;
  } finally {
    seen.delete(value);
  }
}

const NOTHING: unique symbol = Symbol('nothing');

/** The value of an own enumerable data property, or NOTHING (an accessor, not enumerable, a throwing trap). */
function dataValue(object: object, key: string): unknown {
  try {
    const descriptor = Reflect.getOwnPropertyDescriptor(object, key);
    return descriptor && descriptor.enumerable && 'value' in descriptor ? descriptor.value : NOTHING;
  } catch {
    return NOTHING;
  }
}

/**
 * The params object `value` (a create() body, a method's query or options) as plain data, with
 * only the keys `wanted` accepts (each read once, see the top of the file). An object whose keys
 * cannot be listed gives `{}`; a value that is not an object gives undefined.
 */
export function readParams(value: unknown, wanted: (key: string) => boolean): Params | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const out: Record<string, unknown> = {};
  let keys: ReadonlyArray<string | symbol>;
  try {
    keys = Reflect.ownKeys(value);
  } catch {
    return out;
  }
  const seen = new Set<object>([value]);
  for (const key of keys) {
    if (typeof key !== 'string' || !wanted(key)) continue;
    const read = dataValue(value, key);
    if (read === NOTHING) continue;
    const inner = copy(read, 1, seen);
    if (inner !== undefined) out[key] = inner;
  }
  return out;
}
