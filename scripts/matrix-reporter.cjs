'use strict';
/*
 * Mocha reporter used by scripts/matrix.mjs for every cell of the compatibility matrix.
 *
 * It prints one line per test (so the cell's log reads like the spec reporter's) and, when the
 * run ends, writes a JSON file (reporter option `output=<file>`) with the counts, every failure
 * (full title, message, the top of the stack) and which copies of `openai` and
 * `@opentelemetry/*` the test process really loaded (package root + version, from
 * require.cache), so the matrix can check that the cell ran against the versions it claims.
 *
 * CommonJS on purpose: mocha loads reporters with require().
 */
const fs = require('node:fs');
const path = require('node:path');

const WATCHED = (name) => name === 'openai' || name.startsWith('@opentelemetry/');

/** `{ name, root }` of the package a loaded file belongs to (innermost node_modules), or undefined. */
function packageOf(file) {
  const marker = `${path.sep}node_modules${path.sep}`;
  const at = file.lastIndexOf(marker);
  if (at < 0) return undefined;
  const rest = file.slice(at + marker.length).split(path.sep);
  const name = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  const root = file.slice(0, at + marker.length) + name;
  return { name, root };
}

function readVersion(root) {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** Distinct package roots of the watched packages among the CommonJS modules loaded so far. */
function loadedPackages() {
  const roots = new Map();
  for (const file of Object.keys(require.cache)) {
    const pkg = packageOf(file);
    if (!pkg || !WATCHED(pkg.name) || roots.has(pkg.root)) continue;
    roots.set(pkg.root, { name: pkg.name, version: readVersion(pkg.root), root: pkg.root });
  }
  return [...roots.values()].sort((a, b) => a.name.localeCompare(b.name) || a.root.localeCompare(b.root));
}

function clip(value, max) {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'string' ? value : safeInspect(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function safeInspect(value) {
  try {
    return require('node:util').inspect(value, { depth: 3, breakLength: 120 });
  } catch {
    return String(value);
  }
}

function describeError(err) {
  if (err === null || typeof err !== 'object') return { message: String(err) };
  const stack = typeof err.stack === 'string' ? err.stack.split('\n').slice(0, 12).join('\n') : undefined;
  const out = {
    name: err.name,
    message: clip(typeof err.message === 'string' ? err.message : safeInspect(err), 4000),
    code: typeof err.code === 'string' || typeof err.code === 'number' ? err.code : undefined,
    stack,
  };
  if ('actual' in err || 'expected' in err) {
    out.actual = clip(safeInspect(err.actual), 1000);
    out.expected = clip(safeInspect(err.expected), 1000);
  }
  return out;
}

class MatrixReporter {
  constructor(runner, options) {
    const reporterOption = (options && (options.reporterOption || options.reporterOptions)) || {};
    const output = reporterOption.output;
    const write = (line) => process.stdout.write(`${line}\n`);
    const started = Date.now();
    const result = { passes: 0, failures: 0, pending: 0, tests: [], failed: [] };

    runner.on('pass', (test) => {
      result.passes++;
      result.tests.push({ title: test.fullTitle(), state: 'passed', durationMs: test.duration });
      write(`  ✔ ${test.fullTitle()}${test.duration > 50 ? ` (${test.duration}ms)` : ''}`);
    });
    runner.on('pending', (test) => {
      result.pending++;
      result.tests.push({ title: test.fullTitle(), state: 'pending' });
      write(`  - ${test.fullTitle()}`);
    });
    runner.on('fail', (test, err) => {
      result.failures++;
      const entry = {
        title: test.fullTitle(),
        file: test.file ? path.relative(process.cwd(), test.file) : undefined,
        hook: test.type === 'hook',
        ...describeError(err),
      };
      result.failed.push(entry);
      result.tests.push({ title: entry.title, state: 'failed', durationMs: test.duration });
      write(`  ✖ ${entry.title}`);
    });
    runner.once('end', () => {
      result.durationMs = Date.now() - started;
      result.node = process.version;
      result.loaded = loadedPackages();
      result.failed.forEach((f, i) => {
        write(`\n  ${i + 1}) ${f.title}${f.file ? `  [${f.file}]` : ''}`);
        write(`     ${(f.stack || `${f.name || 'Error'}: ${f.message}`).split('\n').join('\n     ')}`);
        if (f.actual !== undefined || f.expected !== undefined) {
          write(`     actual:   ${f.actual}`);
          write(`     expected: ${f.expected}`);
        }
      });
      write(`\n  ${result.passes} passing, ${result.failures} failing, ${result.pending} pending (${result.durationMs}ms)`);
      for (const p of result.loaded) write(`  loaded ${p.name}@${p.version} from ${p.root}`);
      if (output) {
        fs.mkdirSync(path.dirname(output), { recursive: true });
        fs.writeFileSync(output, JSON.stringify(result, null, 2));
      }
    });
  }
}

module.exports = MatrixReporter;
