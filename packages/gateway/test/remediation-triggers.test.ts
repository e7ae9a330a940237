// Every trigger of docs/containment.md, fed the audit events that fire it and their near misses.
import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../src/audit/index.js';
import type { RemediationRule, TriggerConfig } from '../src/config/index.js';
import { DEFAULT_RULES } from '../src/config/remediation-config.js';
import { TriggerDetector } from '../src/remediation/trigger-detector.js';

const AGENT = 'agt_1';

function detector(when: TriggerConfig, clock: { now: number } = { now: 0 }) {
  const rule: RemediationRule = { id: 'rule', when, then: ['snapshot'] };
  const detect = new TriggerDetector([rule], () => clock.now);
  let index = 0;
  return (event: Record<string, unknown>) => {
    const recorded = {
      index: index++,
      event: { type: 'guard.decision', agent: AGENT, ...event },
    } as RecordedEvent;
    return [...detect.observeStateless(recorded), ...detect.observeStateful(recorded)];
  };
}

const deny = { decision: 'deny', tool: 'db/query', severity: 'medium', policyIds: ['p'] };

describe('stateless triggers', () => {
  it('honeytoken: a decision on a honeytoken tool fires, any other decision does not', () => {
    const observe = detector({ kind: 'honeytoken' });
    expect(observe({ ...deny, tool: 'vault/keys', honeytoken: true })).toMatchObject([
      { agent: AGENT, evidence: [0], detail: 'honeytoken vault/keys touched' },
    ]);
    expect(observe({ type: 'guard.screened', ...deny, honeytoken: true })).toHaveLength(1);
    expect(observe({ ...deny })).toEqual([]);
    expect(observe({ type: 'mcp.call.rejected', honeytoken: true })).toEqual([]);
  });

  it('drift, certificate misuse and an exhausted budget fire on their events only', () => {
    expect(detector({ kind: 'drift' })({ type: 'identity.drift', field: 'model' })).toHaveLength(1);
    expect(detector({ kind: 'drift' })({ type: 'identity.profile.proposed' })).toEqual([]);
    const misuse = detector({ kind: 'certificate-misuse' });
    expect(
      misuse({ type: 'identity.certificate.misuse', jti: 'j', code: 'proof-replayed' }),
    ).toMatchObject([{ detail: 'certificate j presented with a bad proof (proof-replayed)' }]);
    const budget = detector({ kind: 'budget-exhausted' });
    expect(budget({ type: 'llm.refused', code: 'budget_exceeded' })).toHaveLength(1);
    expect(budget({ type: 'llm.refused', code: 'rate_limited' })).toEqual([]);
  });

  it('severe-deny: a denial at or above the severity, optionally of named policies', () => {
    const high = detector({ kind: 'severe-deny', minSeverity: 'high' });
    expect(high({ ...deny, severity: 'high' })).toHaveLength(1);
    expect(high({ ...deny, severity: 'critical' })).toHaveLength(1);
    expect(high({ ...deny, severity: 'medium' })).toEqual([]);
    expect(high({ ...deny, decision: 'allow', severity: 'high' })).toEqual([]);
    expect(high({ ...deny, severity: 'high', type: 'guard.screened' })).toEqual([]);
    const named = detector({
      kind: 'severe-deny',
      minSeverity: 'high',
      policies: ['baseline/destructive-sql'],
    });
    expect(
      named({ ...deny, severity: 'high', policyIds: ['baseline/destructive-sql'] }),
    ).toHaveLength(1);
    expect(named({ ...deny, severity: 'high', policyIds: ['baseline/path-traversal'] })).toEqual(
      [],
    );
  });

  it('an event that names no agent fires nothing', () => {
    const observe = detector({ kind: 'honeytoken' });
    expect(observe({ agent: undefined, honeytoken: true })).toEqual([]);
    expect(observe({ agent: '', honeytoken: true })).toEqual([]);
  });
});

describe('what must be contained before its append resolves', () => {
  it('an event a stopping stateful rule counts: a denial for a quarantining burst rule', () => {
    const stops = (rules: RemediationRule[], event: Record<string, unknown>) =>
      new TriggerDetector(rules, () => 0).stopsOn({
        index: 0,
        event: { type: 'guard.decision', agent: AGENT, ...event },
      } as RecordedEvent);
    const burst = (then: RemediationRule['then']): RemediationRule => ({
      id: 'burst',
      when: { kind: 'denial-burst', count: 3, withinSeconds: 10 },
      then,
    });
    expect(stops([burst(['quarantine'])], deny)).toBe(true);
    expect(stops([burst(['quarantine'])], { decision: 'allow' })).toBe(false);
    expect(stops([burst(['snapshot', 'notify'])], deny)).toBe(false);
    expect(stops(DEFAULT_RULES.slice(), deny)).toBe(true);
    expect(stops(DEFAULT_RULES.slice(), { decision: 'allow' })).toBe(false);
  });
});

describe('denial burst', () => {
  it('fires on the Nth denial within the window, with every denial as evidence, once', () => {
    const clock = { now: 0 };
    const observe = detector({ kind: 'denial-burst', count: 3, withinSeconds: 10 }, clock);
    expect(observe(deny)).toEqual([]);
    clock.now = 4_000;
    expect(observe({ ...deny, decision: 'allow' })).toEqual([]);
    expect(observe(deny)).toEqual([]);
    clock.now = 9_999;
    expect(observe(deny)).toMatchObject([{ evidence: [0, 2, 3], detail: '3 denials within 10 s' }]);
    // Counting starts afresh after a burst.
    expect(observe(deny)).toEqual([]);
  });

  it('denials spread wider than the window never fire', () => {
    const clock = { now: 0 };
    const observe = detector({ kind: 'denial-burst', count: 3, withinSeconds: 10 }, clock);
    for (let i = 0; i < 10; i++) {
      clock.now = i * 6_000;
      expect(observe(deny)).toEqual([]);
    }
  });

  it('counts each agent on its own', () => {
    const observe = detector({ kind: 'denial-burst', count: 2, withinSeconds: 10 });
    expect(observe({ ...deny, agent: 'a' })).toEqual([]);
    expect(observe({ ...deny, agent: 'b' })).toEqual([]);
    expect(observe({ ...deny, agent: 'a' })).toMatchObject([{ agent: 'a' }]);
  });
});

describe('rate anomaly', () => {
  const when = { kind: 'rate-anomaly', factor: 10, windowSeconds: 10, minCalls: 20 } as const;

  it('fires once when a window far exceeds the agent’s own average', () => {
    const clock = { now: 0 };
    const observe = detector(when, clock);
    for (let window = 0; window < 8; window++) {
      clock.now = window * 10_000;
      for (let i = 0; i < 2; i++) expect(observe({ decision: 'allow' })).toEqual([]);
    }
    clock.now = 80_000;
    const fired = [];
    for (let i = 0; i < 40; i++) fired.push(...observe({ decision: 'allow' }));
    expect(fired).toHaveLength(1);
    expect(fired[0]?.detail).toMatch(/^21 calls in 10 s against an average of 2\.0$/);
  });

  it('a steady busy agent, a new agent and a quiet spike do not fire', () => {
    const clock = { now: 0 };
    const observe = detector(when, clock);
    for (let window = 0; window < 10; window++) {
      clock.now = window * 10_000;
      for (let i = 0; i < 100; i++) expect(observe({ decision: 'allow' })).toEqual([]);
    }
    const fresh = detector(when, clock);
    for (let i = 0; i < 100; i++) expect(fresh({ agent: 'new', decision: 'allow' })).toEqual([]);
    const quiet = detector({ ...when, minCalls: 50 }, clock);
    for (let window = 0; window < 8; window++) {
      clock.now = 200_000 + window * 10_000;
      quiet({ agent: 'q', decision: 'allow' });
    }
    for (let i = 0; i < 30; i++) expect(quiet({ agent: 'q', decision: 'allow' })).toEqual([]);
  });
});

describe('default rules', () => {
  it('contain honeytokens and certificate misuse; report the rest', () => {
    const byId = new Map(DEFAULT_RULES.map((r) => [r.id, r.then]));
    for (const id of ['honeytoken', 'certificate-misuse'])
      expect(byId.get(id)).toEqual(
        expect.arrayContaining(['quarantine', 'revoke', 'kill-sessions', 'snapshot', 'notify']),
      );
    expect(byId.get('drift')).toEqual(['snapshot', 'notify']);
    expect(byId.get('severe-deny')).not.toContain('quarantine');
  });
});
