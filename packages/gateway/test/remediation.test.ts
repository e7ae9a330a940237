// Containment through the real control plane (docs/containment.md): rules carried out through the
// guard, the kill switch, incident release, drift re-approval, webhook faults, and propagation to a
// second gateway sharing the PostgreSQL store.
import { sql } from 'kysely';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { LiveSessions } from '../src/remediation/index.js';
import {
  ADMIN,
  APPROVER,
  type ContainmentWorld,
  containmentWorld,
  HONEYTOKEN,
  type WorldAgent,
} from './support/containment.js';
import { codeOf } from './support/grants.js';
import { cleanupStores, DRIVERS } from './support/stores.js';
import { type WebhookReceiver, webhookReceiver } from './support/webhook-receiver.js';

const SELECT = { sql: 'SELECT id FROM invoices WHERE id = 1' };
const worlds: ContainmentWorld[] = [];
const receivers: WebhookReceiver[] = [];

async function world(options: Parameters<typeof containmentWorld>[0] = {}) {
  const made = await containmentWorld(options);
  worlds.push(made);
  return made;
}

afterEach(async () => {
  for (const w of worlds.splice(0)) await w.close().catch(() => undefined);
  for (const r of receivers.splice(0)) await r.stop();
});
afterAll(cleanupStores);

describe.each(DRIVERS)('kill switch on $name', (driver) => {
  it.skipIf(driver.unavailable !== undefined)(
    'stops one team at once and resumes it; admins only; both audited',
    async () => {
      const w = await world({ driver: driver.name });
      const finance = await w.addAgent('finance');
      const ops = await w.addAgent('ops');
      expect((await w.call(finance, 'db/query', SELECT)).decision).toBe('allow');
      const certificate = await w.certificate(finance);

      expect(
        await codeOf(
          w.plane.remediation.killSwitch.engage({ scope: 'team', team: 'finance' }, APPROVER, 'x'),
        ),
      ).toBe('forbidden');
      expect(
        await codeOf(
          w.plane.remediation.killSwitch.engage({ scope: 'team', team: 'finance' }, ADMIN, ' '),
        ),
      ).toBe('invalid-argument');
      const engaged = await w.plane.remediation.killSwitch.engage(
        { scope: 'team', team: 'finance' },
        ADMIN,
        'suspected compromise of the finance agents',
      );

      const stopped = await w.call(finance, 'db/query', SELECT, { certificate });
      expect(stopped).toMatchObject({
        decision: 'deny',
        reasons: ['authentication failed: agent-not-active'],
      });
      expect(await codeOf(w.certificate(finance))).toBe('agent-not-active');
      expect((await w.call(ops, 'db/query', SELECT)).decision).toBe('allow');
      expect(await w.plane.remediation.killSwitch.list()).toMatchObject([
        { id: engaged.id, scope: 'team', subject: 'finance' },
      ]);

      await w.plane.remediation.killSwitch.release(engaged.id, ADMIN, 'all clear');
      expect((await w.call(finance, 'db/query', SELECT)).decision).toBe('allow');
      expect(await codeOf(w.plane.remediation.killSwitch.release(engaged.id, ADMIN, 'again'))).toBe(
        'kill-switch-not-engaged',
      );
      const types = (await w.plane.audit.tail(50)).map((e) => JSON.parse(e.entry).type);
      expect(types).toEqual(
        expect.arrayContaining([
          'remediation.kill-switch.engaged',
          'remediation.kill-switch.released',
        ]),
      );
    },
  );
});

describe('kill switch scopes', () => {
  it('all stops every agent; mission stops the agents on that mission', async () => {
    const w = await world();
    const a = await w.addAgent('finance');
    const b = await w.addAgent('ops');
    const all = await w.plane.remediation.killSwitch.engage({ scope: 'all' }, ADMIN, 'stop all');
    for (const agent of [a, b]) expect(await codeOf(w.certificate(agent))).toBe('agent-not-active');
    await w.plane.remediation.killSwitch.release(all.id, ADMIN, 'resume');
    const certificate = await w.certificate(a);
    const mission = await w.plane.remediation.killSwitch.engage(
      { scope: 'mission', mission: w.mission },
      ADMIN,
      'mission paused',
    );
    expect((await w.call(a, 'db/query', SELECT, { certificate })).decision).toBe('deny');
    expect(await codeOf(w.certificate(b))).toBe('agent-not-active');
    await w.plane.remediation.killSwitch.release(mission.id, ADMIN, 'resume');
    expect((await w.call(a, 'db/query', SELECT)).decision).toBe('allow');
    expect(
      await codeOf(
        w.plane.remediation.killSwitch.engage({ scope: 'team', team: 'bad team!' }, ADMIN, 'x'),
      ),
    ).toBe('invalid-argument');
  });
});

describe('incidents', () => {
  it('a quarantine by containment ends only by releasing its incident: an approver, with a reason', async () => {
    const w = await world();
    const agent = await w.addAgent();
    const touched = await w.call(agent, HONEYTOKEN, { scope: 'all' });
    expect(touched.decision).toBe('deny');
    expect(await w.plane.identity.agentStatus(agent.id)).toBe('quarantined');
    const [incident] = await w.plane.remediation.incidents.list({ status: 'open' });
    expect(incident).toMatchObject({ agent: agent.id, rule: 'honeytoken', quarantined: true });
    const id = incident!.id;

    expect(await codeOf(w.plane.identity.setStatus(agent.id, 'active', ADMIN))).toBe(
      'incident-open',
    );
    expect(await codeOf(w.plane.remediation.release(id, 'mallory', 'fine'))).toBe(
      'not-an-approver',
    );
    expect(await codeOf(w.plane.remediation.release(id, APPROVER, '  '))).toBe('invalid-argument');
    const released = await w.plane.remediation.release(id, APPROVER, 'decoy touched by a test');
    expect(released).toMatchObject({ status: 'released', released: { by: APPROVER } });
    expect(await w.plane.identity.agentStatus(agent.id)).toBe('active');
    // Its grants were revoked by containment: least privilege starts over.
    expect((await w.call(agent, 'db/query', SELECT)).decision).toBe('deny');
    expect(await codeOf(w.plane.remediation.release(id, APPROVER, 'again'))).toBe(
      'incident-not-open',
    );
    expect((await w.plane.remediation.incidents.get(id)).timeline.at(-1)).toMatchObject({
      kind: 'released',
    });
    expect(await codeOf(w.plane.remediation.incidents.get('inc_nope'))).toBe('not-found');
  });

  it('when the incident cannot be opened, the agent is stopped all the same', async () => {
    const w = await world();
    const agent = await w.addAgent();
    const certificate = await w.certificate(agent);
    await sql`alter table incidents rename to incidents_unreachable`.execute(w.plane.store.db);
    const touched = await w.call(agent, HONEYTOKEN, {}, { certificate });
    expect(touched.decision).toBe('deny');
    expect(await w.plane.identity.agentStatus(agent.id)).toBe('quarantined');
    await expect(
      w.plane.identity.authenticator.checkCertificate(certificate),
    ).rejects.toMatchObject({
      code: 'revoked',
    });
    expect((await w.plane.grants.grants.list({ agent: agent.id, status: 'active' })).length).toBe(
      0,
    );
    const contained = (await w.plane.audit.tail(20))
      .map((e) => JSON.parse(e.entry) as Record<string, unknown>)
      .find((e) => e.type === 'remediation.contained');
    expect(contained).toMatchObject({
      agent: agent.id,
      incident: null,
      incidentError: expect.stringContaining('incidents'),
      actions: ['quarantine', 'revoke', 'kill-sessions'],
      failed: [],
    });
    expect(w.logged.some((line) => line.level === 'error' || line.level === 50)).toBe(true);
  });

  it('further detections join the open incident instead of opening new ones', async () => {
    const w = await world();
    const agent = await w.addAgent();
    const certificate = await w.certificate(agent);
    await w.call(agent, HONEYTOKEN, {}, { certificate });
    const [incident] = await w.plane.remediation.incidents.list({ agent: agent.id });
    // A second rule (severe-deny: the honeytoken policy is critical) fired on the same decision.
    const detail = await w.plane.remediation.incidents.get(incident!.id);
    expect(detail.timeline.filter((e) => e.kind === 'triggered').map((e) => e.detail)).toEqual([
      expect.stringMatching(/^honeytoken: /),
      expect.stringMatching(/^severe-deny: critical denial/),
    ]);
    expect(await w.plane.remediation.incidents.list({ agent: agent.id })).toHaveLength(1);
  });
});

describe('rules through the guard', () => {
  it('a burst of denials quarantines the agent on the Nth', async () => {
    const w = await world({
      remediation: {
        rules: [
          {
            id: 'burst',
            when: { kind: 'denial-burst', count: 3, withinSeconds: 60 },
            then: ['quarantine', 'snapshot'],
          },
        ],
      },
    });
    const agent = await w.addAgent();
    const destructive = { sql: 'DELETE FROM invoices' };
    for (let i = 0; i < 2; i++) {
      expect((await w.call(agent, 'db/query', destructive)).decision).toBe('deny');
      expect(await w.plane.identity.agentStatus(agent.id)).toBe('active');
    }
    expect((await w.call(agent, 'db/query', destructive)).decision).toBe('deny');
    expect(await w.plane.identity.agentStatus(agent.id)).toBe('quarantined');
    const [incident] = await w.plane.remediation.incidents.list({ agent: agent.id });
    const evidence = await w.plane.remediation.incidents.evidence(incident!.id);
    const types = evidence.entries.map((e) => JSON.parse(e.entry).type);
    expect(types.filter((t) => t === 'guard.decision')).toHaveLength(3);
    expect(types).toContain('remediation.contained');
  });

  it('drift sends the approved profile back to review: nothing is issued until it is approved again', async () => {
    const w = await world({
      remediation: {
        rules: [{ id: 'drift', when: { kind: 'drift' }, then: ['require-reapproval', 'snapshot'] }],
      },
    });
    const agent = await w.addAgent();
    const drifted = await w.call(agent, 'db/query', SELECT, {
      observed: { model: { provider: 'openai', name: 'gpt-4o', version: '2099-01-01' } },
    });
    expect(drifted.reasons).toEqual(['drift: model.version differs from the approved profile']);
    expect(await codeOf(w.certificate(agent))).toBe('profile-not-approved');
    const [incident] = await w.plane.remediation.incidents.list({ agent: agent.id });
    expect(incident).toMatchObject({ rule: 'drift', quarantined: false });
    await w.plane.identity.approveProfile(agent.id, undefined, APPROVER);
    expect((await w.call(agent, 'db/query', SELECT)).decision).toBe('allow');
  });

  it('no rules, no containment', async () => {
    const w = await world({ remediation: { rules: [] } });
    const agent = await w.addAgent();
    expect((await w.call(agent, HONEYTOKEN)).decision).toBe('deny');
    expect(await w.plane.identity.agentStatus(agent.id)).toBe('active');
    expect(await w.plane.remediation.incidents.list()).toEqual([]);
  });
});

describe('webhook faults', () => {
  async function hookedWorld(overrides: Record<string, unknown> = {}) {
    const receiver = await webhookReceiver();
    receivers.push(receiver);
    const w = await world({
      remediation: {
        webhook: { url: receiver.url, secret: receiver.secret, timeoutMs: 300, ...overrides },
      },
    });
    return { w, receiver, agent: await w.addAgent() };
  }

  async function contain(w: ContainmentWorld, agent: WorldAgent): Promise<number> {
    const certificate = await w.certificate(agent);
    await w.plane.guard(); // built on first use: not part of what is timed
    const started = performance.now();
    expect((await w.call(agent, HONEYTOKEN, {}, { certificate })).decision).toBe('deny');
    const elapsed = performance.now() - started;
    expect(await w.plane.identity.agentStatus(agent.id)).toBe('quarantined');
    return elapsed;
  }

  async function outbox(w: ContainmentWorld) {
    return w.plane.store.db.selectFrom('webhook_outbox').selectAll().execute();
  }

  it('a receiver that is down: containment completes at once, the notification is retried until it arrives', async () => {
    const { w, receiver, agent } = await hookedWorld();
    await receiver.stop();
    expect(await contain(w, agent)).toBeLessThan(1000);
    await waitFor(async () => (await outbox(w)).every((row) => row.last_error !== ''));
    const [failed] = await outbox(w);
    expect(failed).toMatchObject({ delivered_at: null, given_up_at: null });
    expect(failed?.last_error).toMatch(/^unreachable/);
    await receiver.start();
    await waitFor(async () => (await outbox(w)).every((row) => row.delivered_at !== null));
    expect(receiver.deliveries.length).toBeGreaterThanOrEqual(1);
    expect(receiver.deliveries.every((d) => d.signed)).toBe(true);
    expect(receiver.deliveries.map((d) => d.body)).toContainEqual(
      expect.objectContaining({
        type: 'incident.opened',
        agent: agent.id,
        rules: ['honeytoken', 'severe-deny'],
      }),
    );
  });

  it('a slow receiver: containment does not wait, the delivery times out and is retried', async () => {
    const { w, receiver, agent } = await hookedWorld();
    receiver.delayMs = 3000;
    expect(await contain(w, agent)).toBeLessThan(1000);
    await waitFor(async () => (await outbox(w)).some((row) => row.last_error !== ''));
    expect((await outbox(w))[0]?.last_error).toBe('no answer within 300 ms');
    receiver.delayMs = 0;
    await waitFor(async () => (await outbox(w)).every((row) => row.delivered_at !== null));
    expect(receiver.deliveries.some((d) => d.body.agent === agent.id)).toBe(true);
  });

  it('nothing is lost across a gateway restart', async () => {
    const { w, receiver, agent } = await hookedWorld();
    await receiver.stop();
    await contain(w, agent);
    await w.restart();
    await receiver.start();
    await waitFor(async () => (await outbox(w)).every((row) => row.delivered_at !== null));
    const ids = new Set(receiver.deliveries.map((d) => d.id));
    expect(ids.size).toBe((await outbox(w)).length);
    expect(receiver.deliveries.some((d) => d.body.agent === agent.id)).toBe(true);
  });

  it('gives a notification up after its last attempt, and says so in the log', async () => {
    const { w, receiver, agent } = await hookedWorld({ maxAttempts: 2 });
    receiver.status = 500;
    await contain(w, agent);
    await waitFor(async () => (await outbox(w)).every((row) => row.given_up_at !== null), 15_000);
    expect((await outbox(w))[0]).toMatchObject({ attempts: 2, last_error: 'HTTP 500' });
    expect(w.logged.some((l) => /given up/.test(l.msg))).toBe(true);
  });
});

describe.each(DRIVERS.filter((d) => d.name === 'postgres'))('propagation on $name', (driver) => {
  it.skipIf(driver.unavailable !== undefined)(
    'a burst of denials spread over two gateways is counted on both and contained once, by the gateway of the Nth',
    async () => {
      const remediation = {
        rules: [
          {
            id: 'burst',
            when: { kind: 'denial-burst', count: 4, withinSeconds: 60 },
            then: ['quarantine', 'snapshot'],
          },
        ],
      };
      const a = await world({ driver: 'postgres', remediation });
      const b = await world({ shareWith: a, remediation });
      const agent = await a.addAgent();
      const destructive = { sql: 'DELETE FROM invoices' };
      for (const gateway of [a, b, a]) {
        expect((await gateway.call(agent, 'db/query', destructive)).decision).toBe('deny');
        expect(await a.plane.identity.agentStatus(agent.id)).toBe('active');
      }
      // Two denials each way: neither gateway alone would reach 4. The fourth completes the burst
      // on b, which counted a's denials from the shared log and contains before it answers.
      expect((await b.call(agent, 'db/query', destructive)).decision).toBe('deny');
      expect(await b.plane.identity.agentStatus(agent.id)).toBe('quarantined');
      // a counts the same burst (b's fourth denial is not its own): still one incident.
      await new Promise((resolve) => setTimeout(resolve, 700));
      const incidents = await a.plane.remediation.incidents.list({ agent: agent.id });
      expect(incidents).toHaveLength(1);
      const evidence = await a.plane.remediation.incidents.evidence(incidents[0]!.id);
      const decisions = evidence.entries
        .map((e) => JSON.parse(e.entry) as { type: string; decision?: string })
        .filter((e) => e.type === 'guard.decision');
      expect(decisions.map((e) => e.decision)).toEqual(['deny', 'deny', 'deny', 'deny']);
    },
  );

  it.skipIf(driver.unavailable !== undefined)(
    'a quarantine or kill switch on one gateway takes effect on the other, and ends its live sessions',
    async () => {
      const a = await world({ driver: 'postgres' });
      const b = await world({ shareWith: a });
      const agent = await a.addAgent();
      const certificate = await a.certificate(agent);
      expect((await b.call(agent, 'db/query', SELECT)).decision).toBe('allow');
      const ended: string[] = [];
      const live: LiveSessions = {
        liveAgents: () => [agent.id],
        terminate: async (id) => {
          ended.push(id);
          return 1;
        },
      };
      b.plane.remediation.sessions.add(live);

      await a.call(agent, HONEYTOKEN, {}, { certificate });
      expect(await a.plane.identity.agentStatus(agent.id)).toBe('quarantined');
      const started = performance.now();
      await waitFor(
        async () => (await b.call(agent, 'db/query', SELECT, { certificate })).decision === 'deny',
      );
      expect(performance.now() - started).toBeLessThan(1000);
      await waitFor(async () => ended.includes(agent.id));

      const other = await a.addAgent('ops');
      const held = await a.certificate(other);
      expect((await a.call(other, 'db/query', SELECT, { certificate: held })).decision).toBe(
        'allow',
      );
      await b.plane.remediation.killSwitch.engage(
        { scope: 'team', team: 'ops' },
        ADMIN,
        'stop ops',
      );
      await waitFor(
        async () =>
          (await a.call(other, 'db/query', SELECT, { certificate: held })).decision === 'deny',
      );
    },
  );
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
