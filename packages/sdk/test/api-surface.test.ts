// The package's public face: adding an export is a decision, so this list changes on purpose only.
import { expect, it } from 'vitest';
import * as sdk from '../src/index.js';

it('exports exactly the public API', () => {
  expect(Object.keys(sdk).sort()).toEqual(['AgentIdentity', 'SdkError']);
});

it('AgentIdentity has exactly its documented members', () => {
  expect(Object.getOwnPropertyNames(sdk.AgentIdentity.prototype).sort()).toEqual([
    'certificate',
    'constructor',
    'proof',
    'thumbprint',
  ]);
  expect(
    Object.getOwnPropertyNames(sdk.AgentIdentity)
      .filter((name) => !['length', 'name', 'prototype'].includes(name))
      .sort(),
  ).toEqual(['create']);
});

it('an identity exposes publicJwk and fetch as its only own properties', async () => {
  const identity = await sdk.AgentIdentity.create({
    issuer: 'https://zt4ai.example',
    agent: 'a',
    model: { provider: 'p', name: 'n', version: 'v' },
    prompt: { template: 't' },
  });
  expect(Object.keys(identity).sort()).toEqual(['fetch', 'publicJwk']);
  expect(Object.isFrozen(identity.publicJwk)).toBe(true);
});
