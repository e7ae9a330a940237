// A grant's optional budget: stored with the grant, within the mission's budget, refused otherwise.
import { afterAll, describe, expect, it } from 'vitest';
import { codeOf, grantRows, grantWorld } from './support/grants.js';
import { cleanupStores, DRIVERS } from './support/stores.js';

afterAll(cleanupStores);

const sqlite = DRIVERS.find((d) => d.name === 'sqlite')!;

describe('grant budgets', () => {
  it('keeps a budget within the mission budget and refuses one beyond it', async () => {
    const w = await grantWorld(sqlite);
    try {
      const mission = await w.identity.updateMission(
        w.mission.id,
        {
          name: 'billing',
          purpose: 'p',
          allow: { tools: ['db/query'] },
          budget: { limit: 50, currency: 'EUR' },
        },
        'op:setup',
      );
      await w.identity.approveProfile(w.agentId, undefined, 'op:setup');
      expect(mission.manifest.budget).toEqual({ limit: 50, currency: 'EUR', period: 'month' });
      const ok = await w.grants.request(
        {
          agent: w.agentId,
          task: 'report',
          allow: ['tools/call:db/query'],
          maxUses: 5,
          budget: { limit: 10, currency: 'EUR' },
        },
        'bob',
      );
      expect(ok.budget).toEqual({ limit: 10, currency: 'EUR' });
      const before = await grantRows(w.store);
      const request = (budget: { limit: number; currency: string }) =>
        w.grants.request(
          { agent: w.agentId, task: 't', allow: ['tools/call:db/query'], maxUses: 1, budget },
          'bob',
        );
      expect(await codeOf(request({ limit: 51, currency: 'EUR' }))).toBe('grant-invalid');
      expect(await codeOf(request({ limit: 5, currency: 'USD' }))).toBe('grant-invalid');
      expect(await codeOf(request({ limit: -1, currency: 'EUR' }))).toBe('grant-invalid');
      expect(await grantRows(w.store)).toBe(before);
    } finally {
      await w.close();
    }
  });
});
