/*
 * `bud.inference.cost`: one counter whatever the currency, the currency as an attribute
 * (two counters with one name and different units make the SDK warn and export two streams).
 */
import * as assert from 'node:assert/strict';
import { client, collectMetrics, instrumentation, points } from './harness';

describe('bud.inference.cost metric', () => {
  afterEach(() => instrumentation.setConfig({}));

  it('is one stream for two currencies, told apart by bud.inference.cost.currency', async () => {
    instrumentation.setConfig({
      pricing: {
        'cost-eur': { input: 1_000_000, output: 0, currency: 'EUR' },
        'cost-usd': { input: 2_000_000, output: 0, currency: 'USD' },
      },
    });
    const eur = await client().responses.create({ model: 'cost-eur', input: 'hello euro' });
    const usd = await client().responses.create({ model: 'cost-usd', input: 'hello dollar' });
    const metrics = (await collectMetrics()).filter((m) => m.descriptor.name === 'bud.inference.cost');
    assert.equal(metrics.length, 1, 'one instrument');
    assert.equal(metrics[0].descriptor.unit, '{currency}');
    const [eurPoint] = points(metrics[0], { 'gen_ai.request.model': 'cost-eur' });
    const [usdPoint] = points(metrics[0], { 'gen_ai.request.model': 'cost-usd' });
    assert.equal(eurPoint.attributes['bud.inference.cost.currency'], 'EUR');
    assert.equal(usdPoint.attributes['bud.inference.cost.currency'], 'USD');
    // 1 (EUR) and 2 (USD) per input token, no cached tokens for a first request.
    assert.equal(eurPoint.value, eur.usage!.input_tokens * 1);
    assert.equal(usdPoint.value, usd.usage!.input_tokens * 2);
  });
});
