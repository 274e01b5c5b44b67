import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SUPPORTED_OPENAI_VERSIONS } from '../src';
import { UNSUPPORTED_OPENAI_VERSIONS } from '../src/instrumentation';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../src/version';
import { instrumentation, openaiAtLeast, OPENAI_VERSION } from './harness';

/** The project's root, read at test time (the compiled tests run from build/test/). */
const ROOT = path.resolve(__dirname, '../..');

describe('package identity', () => {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    description: string;
  };

  it('the instrumentation scope is the package name and version', () => {
    assert.equal(PACKAGE_NAME, manifest.name);
    assert.equal(PACKAGE_VERSION, manifest.version);
    assert.equal(instrumentation.instrumentationName, manifest.name);
    assert.equal(instrumentation.instrumentationVersion, manifest.version);
  });

  it('hooks the openai range the README and package.json state, and the installed openai is in it', () => {
    const definitions = instrumentation.getModuleDefinitions();
    // The second definition only reports the versions outside the range (see problems.test.ts).
    assert.deepEqual(
      definitions.map((d) => [d.name, d.supportedVersions]),
      [
        ['openai', [SUPPORTED_OPENAI_VERSIONS]],
        ['openai', [...UNSUPPORTED_OPENAI_VERSIONS]],
      ],
    );
    const hooked = definitions[0].supportedVersions;
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const stated = /^- `openai` `([^`]+)`/m.exec(readme)?.[1];
    assert.ok(stated, 'the README states the openai range in its Install section');
    assert.deepEqual(hooked, [stated]);
    // package.json says it in prose: "openai >=4.87 <8" for ">=4.87.0 <8".
    assert.ok(manifest.description.includes(`openai ${stated.replace(/\.0(?= |$)/g, '')}`), manifest.description);
    // The range's lower bound is where the Responses API appeared; the suite's openai is inside it.
    const [lower, upper] = stated.split(' ');
    assert.ok(openaiAtLeast(lower.replace('>=', '')), `openai ${OPENAI_VERSION} is below ${lower}`);
    assert.ok(Number(OPENAI_VERSION.split('.')[0]) < Number(upper.replace('<', '')), `openai ${OPENAI_VERSION} is not ${upper}`);
  });
});
