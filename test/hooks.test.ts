/*
 * The request and response hooks serve every traced method: `(span, params, info)` and
 * `(span, response, info)`, `info` naming the operation and the ids the call was given.
 */
import * as assert from 'node:assert/strict';
import * as sinon from 'sinon';
import { client, instrumentation, instrumentedSpans, waitFor } from './harness';

describe('request and response hooks', () => {
  afterEach(() => instrumentation.setConfig({}));

  it('are called for create and for a method without a body, with what the call is', async () => {
    const requestHook = sinon.spy();
    const responseHook = sinon.spy();
    instrumentation.setConfig({ requestHook, responseHook });
    const openai = client();
    const created = await openai.responses.create({ model: 'hook-model', input: 'hi', store: true });
    await openai.responses.retrieve(created.id);
    await waitFor(() => instrumentedSpans().length === 2);

    sinon.assert.calledTwice(requestHook);
    const [, createParams, createInfo] = requestHook.firstCall.args;
    assert.equal(createParams.model, 'hook-model');
    assert.deepEqual(createInfo, { operation: 'responses', responseId: undefined, conversationId: undefined });
    const [, retrieveParams, retrieveInfo] = requestHook.secondCall.args;
    assert.deepEqual(retrieveParams, {});
    assert.deepEqual(retrieveInfo, { operation: 'retrieve', responseId: created.id, conversationId: undefined });

    sinon.assert.calledTwice(responseHook);
    assert.equal(responseHook.firstCall.args[1].id, created.id);
    assert.equal(responseHook.firstCall.args[2].operation, 'responses');
    assert.equal(responseHook.secondCall.args[1].id, created.id);
    assert.equal(responseHook.secondCall.args[2].operation, 'retrieve');
  });
});
