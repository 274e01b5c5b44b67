/*
 * Just enough source-map reading for the profiler: the TypeScript line a compiled line of
 * build/src comes from (tsc writes a `.js.map` next to every file).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The signed integers of one base64 VLQ segment. */
function decodeSegment(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    values.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  return values;
}

export interface SourceLine {
  file: string;
  /** 1-based. */
  line: number;
  text: string;
}

interface RawMap {
  sources: string[];
  mappings: string;
}

/** For each generated line (0-based), the first original position mapped on it. */
function lineTable(map: RawMap): Array<{ source: number; line: number } | undefined> {
  const table: Array<{ source: number; line: number } | undefined> = [];
  let source = 0;
  let line = 0;
  for (const generated of map.mappings.split(';')) {
    let first: { source: number; line: number } | undefined;
    for (const segment of generated.split(',')) {
      const fields = decodeSegment(segment);
      if (fields.length < 4) continue;
      source += fields[1] ?? 0;
      line += fields[2] ?? 0;
      first ??= { source, line };
    }
    table.push(first);
  }
  return table;
}

const cache = new Map<string, ((line: number) => SourceLine | undefined) | undefined>();

function loadMapper(jsFile: string): ((line: number) => SourceLine | undefined) | undefined {
  const mapFile = `${jsFile}.map`;
  if (!existsSync(mapFile)) return undefined;
  const map = JSON.parse(readFileSync(mapFile, 'utf8')) as RawMap;
  const table = lineTable(map);
  const texts = new Map<number, string[]>();
  return (line: number) => {
    const hit = table[line - 1];
    const source = hit ? map.sources[hit.source] : undefined;
    if (!hit || !source) return undefined;
    const file = path.resolve(path.dirname(jsFile), source);
    if (!texts.has(hit.source)) texts.set(hit.source, existsSync(file) ? readFileSync(file, 'utf8').split('\n') : []);
    return { file, line: hit.line + 1, text: (texts.get(hit.source)?.[hit.line] ?? '').trim() };
  };
}

/** The original line of `line` (1-based) in a compiled file, when it has a source map. */
export function originalLine(jsFile: string, line: number): SourceLine | undefined {
  if (!cache.has(jsFile)) cache.set(jsFile, loadMapper(jsFile));
  return cache.get(jsFile)?.(line);
}
