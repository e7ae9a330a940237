// Misuse of AgentIdentity.create is a TypeError naming the option (CONVENTIONS 5, 7).
import { describe, expect, it } from 'vitest';
import { AgentIdentity } from '../src/index.js';
import type { AgentIdentityOptions } from '../src/index.js';

const VALID: AgentIdentityOptions = {
  issuer: 'https://zt4ai.example/',
  agent: 'a',
  model: { provider: 'p', name: 'n', version: 'v' },
  prompt: { template: 't' },
};

describe('AgentIdentity.create options', () => {
  it('accepts valid options', async () => {
    expect(await AgentIdentity.create(VALID)).toBeInstanceOf(AgentIdentity);
  });

  it.each([
    ['issuer', { issuer: 'not a url' }, /issuer/],
    ['issuer scheme', { issuer: 'ftp://zt4ai.example' }, /issuer/],
    ['issuer query', { issuer: 'https://zt4ai.example/?a=1' }, /issuer/],
    ['agent', { agent: '' }, /agent/],
    ['model', { model: { provider: 'p', name: 'n' } }, /model\.version/],
    ['model field', { model: { provider: 'p', name: 'n', version: 'v', alias: 'x' } }, /alias/],
    ['prompt', { prompt: { template: 1 } }, /prompt\.template/],
    ['prompt tools', { prompt: { template: 't', tools: {} } }, /prompt\.tools/],
    ['prompt params', { prompt: { template: 't', params: [] } }, /prompt\.params/],
    ['renewBeforeSeconds', { renewBeforeSeconds: -1 }, /renewBeforeSeconds/],
    ['ttlSeconds', { ttlSeconds: 1.5 }, /ttlSeconds/],
    ['key', { key: { path: 'x' } }, /key/],
    ['fetch', { fetch: 'fetch' }, /fetch/],
    ['now', { now: 5 }, /now/],
    ['unknown option', { renewBefore: 60 }, /unknown option "renewBefore"/],
  ])('refuses a bad %s with a TypeError', async (_name, change, message) => {
    const options = { ...VALID, ...change } as unknown as AgentIdentityOptions;
    await expect(AgentIdentity.create(options)).rejects.toThrow(TypeError);
    await expect(AgentIdentity.create(options)).rejects.toThrow(message);
  });
});
