import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SUPPORTED_OPENAI_VERSIONS } from '../src';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../src/version';
import { instrumentation } from './harness';

describe('package identity', () => {
  const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
    name: string;
    version: string;
  };

  it('the instrumentation scope is the package name and version', () => {
    assert.equal(PACKAGE_NAME, manifest.name);
    assert.equal(PACKAGE_VERSION, manifest.version);
    assert.equal(instrumentation.instrumentationName, manifest.name);
    assert.equal(instrumentation.instrumentationVersion, manifest.version);
  });

  it('hooks openai >=4.87.0 <8', () => {
    assert.equal(SUPPORTED_OPENAI_VERSIONS, '>=4.87.0 <8');
  });
});
