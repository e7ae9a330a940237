// Refused authentications are summarized into the audit log: the first of each code and endpoint
// at once, the rest of its window as one counted entry, and never more keys than the bound; a
// control plane that stops writes the counts of the windows still open.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VerifyError } from '@zt4ai/verify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { openControlPlane } from '../src/server.js';
import { type RefusalCount, RefusalSummary } from '../src/identity/refusal-summary.js';

afterEach(() => {
  vi.useRealTimers();
});

function summary(windowMs = 10_000) {
  vi.useFakeTimers({ now: Date.parse('2026-12-05T00:00:00Z') });
  const written: RefusalCount[] = [];
  const refusals = new RefusalSummary(
    async (count) => {
      written.push(count);
    },
    () => Date.now(),
    windowMs,
  );
  return { refusals, written };
}

describe('refusal summary', () => {
  it('records the first refusal at once and the rest of its window as one count', () => {
    const { refusals, written } = summary();
    for (let i = 0; i < 50; i++) refusals.note('signature-invalid', 'https://gw.test/mcp');
    expect(written).toEqual([
      {
        code: 'signature-invalid',
        endpoint: 'https://gw.test/mcp',
        refused: 1,
        since: '2026-12-05T00:00:00.000Z',
      },
    ]);
    vi.advanceTimersByTime(10_000);
    expect(written.at(-1)).toMatchObject({ refused: 49, since: '2026-12-05T00:00:00.000Z' });
    refusals.note('signature-invalid', 'https://gw.test/mcp');
    expect(written.at(-1)).toMatchObject({ refused: 1, since: '2026-12-05T00:00:10.000Z' });
    expect(written).toHaveLength(3);
  });

  it('keeps codes and endpoints apart', () => {
    const { refusals, written } = summary();
    refusals.note('expired', 'https://gw.test/mcp');
    refusals.note('expired', 'https://gw.test/v1/chat/completions');
    refusals.note('revoked', 'https://gw.test/mcp');
    refusals.note('revoked', 'https://gw.test/mcp');
    expect(written.map((w) => `${w.code} ${w.endpoint} ${w.refused}`)).toEqual([
      'expired https://gw.test/mcp 1',
      'expired https://gw.test/v1/chat/completions 1',
      'revoked https://gw.test/mcp 1',
    ]);
    vi.advanceTimersByTime(10_000);
    expect(written.at(-1)).toMatchObject({ code: 'revoked', refused: 1 });
    expect(written).toHaveLength(4);
  });

  it('counts refusals past 256 open windows as "other", until those windows end', () => {
    const { refusals, written } = summary();
    for (let i = 0; i < 300; i++) refusals.note('expired', `https://gw.test/v1/models/m${i}`);
    expect(written).toHaveLength(257);
    expect(written.at(-1)).toMatchObject({ endpoint: 'other', refused: 1 });
    vi.advanceTimersByTime(10_000);
    expect(written.at(-1)).toMatchObject({ endpoint: 'other', refused: 43 });
    // Ended windows are forgotten: a new endpoint is named again.
    refusals.note('expired', 'https://gw.test/mcp');
    expect(written.at(-1)).toMatchObject({ endpoint: 'https://gw.test/mcp', refused: 1 });
  });

  it('flush() writes what open windows have not reported, and their timers write nothing more', async () => {
    const { refusals, written } = summary();
    for (let i = 0; i < 5; i++) refusals.note('expired', 'https://gw.test/mcp');
    refusals.note('revoked', 'https://gw.test/mcp');
    await refusals.flush();
    expect(written.map((w) => `${w.code} ${w.refused}`)).toEqual([
      'expired 1',
      'revoked 1',
      'expired 4',
    ]);
    vi.advanceTimersByTime(10_000);
    expect(written).toHaveLength(3);
  });

  it('drops a failed write without throwing', async () => {
    vi.useFakeTimers();
    const refusals = new RefusalSummary(
      () => Promise.reject(new Error('store down')),
      () => Date.now(),
    );
    expect(() => refusals.note('expired', 'https://gw.test/mcp')).not.toThrow();
    await vi.runAllTimersAsync();
  });
});

describe('a control plane that stops', () => {
  it('records the refusals its open windows still count', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zt4ai-refusals-'));
    try {
      const config = loadConfig({ cwd: dataDir, env: {}, flags: { dataDir } });
      const plane = await openControlPlane(config);
      const url = `${config.identity.issuer}/mcp`;
      for (let i = 0; i < 3; i++) {
        await expect(
          plane.identity.authenticator.authenticate({
            certificate: 'not-a-certificate',
            proof: undefined,
            method: 'POST',
            url,
          }),
        ).rejects.toBeInstanceOf(VerifyError);
      }
      await plane.close();
      const reopened = await openControlPlane(config);
      try {
        const refused = (await reopened.audit.entries(0, 100))
          .map((e) => JSON.parse(e.entry) as Record<string, unknown>)
          .filter((e) => e['type'] === 'identity.authentication.refused')
          .map((e) => e['refused']);
        expect(refused).toEqual([1, 2]);
      } finally {
        await reopened.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
