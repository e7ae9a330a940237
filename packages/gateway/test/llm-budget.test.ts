// Budgets of the LLM gateway on SQLite and PostgreSQL: a pessimistic reservation before the call
// leaves, settled with the real cost after. 100 concurrent calls against a budget that allows 10
// never spend more than the budget, and the rest are refused before they reach the provider;
// reservations from several processes on one store are exact. Costs are stored per call, agent,
// team and mission.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { BudgetLedger } from '../src/llm/budget-ledger.js';
import { periodStart } from '../src/llm/budget-period.js';
import { auditEvents, startLlmHarness, SYSTEM_PROMPT } from './support/llm-harness.js';
import { cleanupStores, DRIVERS, POSTGRES_URL } from './support/stores.js';

/** An error body in either API's shape, as the tests read it. */
interface WireBody {
  readonly type?: string;
  readonly error?: {
    readonly code?: string;
    readonly type?: string;
    readonly message?: string;
    readonly error?: unknown;
  };
}

afterAll(async () => {
  await cleanupStores();
});

/** $1 per million tokens in and out: a token costs 1,000 nano-dollars. */
const PRICES = [
  { provider: 'openai', model: 'gpt-4o-2024-08-06', inputPerMTok: 1, outputPerMTok: 1 },
];
const NANO_PER_TOKEN = 1000;
const MAX_TOKENS = 100;

/** A request body of a known size (the reservation is bounded by its bytes). */
function requestBody(model: string): string {
  return JSON.stringify({
    model,
    temperature: 0,
    max_tokens: MAX_TOKENS,
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: `What is my balance? [fixture:chat-long] ${'.'.repeat(300)}` },
    ],
  });
}

for (const driver of DRIVERS) {
  describe.skipIf(driver.unavailable !== undefined)(`budgets on ${driver.name}`, () => {
    it('100 concurrent calls against a budget that allows 10 never spend more than the budget', async () => {
      const body = requestBody('gpt-4o-2024-08-06');
      const reservation = (Buffer.byteLength(body) + MAX_TOKENS) * NANO_PER_TOKEN;
      const limitNano = 10 * reservation;
      const h = await startLlmHarness({
        driver: driver.name,
        llm: {
          prices: PRICES,
          budgets: [{ scope: 'agent', period: 'day', limitUsd: limitNano / 1e9 }],
        },
      });
      try {
        const agent = await h.agent('budgeted-bot');
        const before = h.provider.requests.length;
        const responses = await Promise.all(
          Array.from({ length: 100 }, () =>
            agent.fetch(`${h.url}/v1/chat/completions`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body,
            }),
          ),
        );
        const statuses = responses.map((r) => r.status);
        const bodies = await Promise.all(responses.map((r) => r.json() as Promise<WireBody>));
        await h.gateway.drain();
        const allowed = statuses.filter((s) => s === 200).length;
        const refused = bodies.filter((b) => b.error?.code === 'budget_exceeded').length;
        expect(allowed + refused).toBe(100);
        expect(allowed).toBeGreaterThanOrEqual(10);
        // Each allowed call costs 500 tokens: 100 of them would be far over the limit.
        expect(100 * 500 * NANO_PER_TOKEN).toBeGreaterThan(limitNano);
        expect(h.provider.requests.length - before).toBe(allowed);
        const usage = await h.gateway.ledger.usage({
          scope: 'agent',
          subject: agent.id,
          period: 'day',
          periodStart: periodStart('day', new Date()),
        });
        expect(usage.reserved).toBe(0);
        expect(usage.spent).toBe(allowed * 500 * NANO_PER_TOKEN);
        expect(usage.spent).toBeLessThanOrEqual(limitNano);
        const refusals = (await auditEvents(h.plane)).filter(
          (e) => e.type === 'llm.refused' && e.code === 'budget_exceeded' && e.agent === agent.id,
        );
        expect(refusals).toHaveLength(refused);
        // Costs are stored per call; reports group them by agent, team and mission.
        const byAgent = await h.gateway.costs('agent');
        expect(byAgent.find((line) => line.key === agent.id)).toMatchObject({
          calls: allowed,
          inputTokens: allowed * 400,
          outputTokens: allowed * 100,
          costNano: allowed * 500 * NANO_PER_TOKEN,
        });
        const byTeam = await h.gateway.costs('team');
        expect(byTeam.find((line) => line.key === 'billing')?.costNano).toBeGreaterThanOrEqual(
          usage.spent,
        );
        const byMission = await h.gateway.costs('mission');
        expect(byMission).toHaveLength(1);
      } finally {
        await h.close();
      }
    });

    it('refuses a call under a mission budget in another currency, and one without a known price', async () => {
      const h = await startLlmHarness({
        driver: driver.name,
        missionBudget: { limit: 5, currency: 'EUR' },
      });
      try {
        const client = new OpenAI({
          apiKey: 'unused',
          baseURL: `${h.url}/v1`,
          fetch: h.openai.fetch,
          maxRetries: 0,
        });
        const error = await client.chat.completions
          .create({
            model: h.openai.wireModel,
            messages: [
              { role: 'system', content: SYSTEM_PROMPT },
              { role: 'user', content: 'hi' },
            ],
          })
          .then(
            () => undefined,
            (e: { status: number; error: { code: string } }) => e,
          );
        expect(error).toMatchObject({ status: 403, error: { code: 'budget_unavailable' } });
      } finally {
        await h.close();
      }
    });

    it('settles a mission budget in USD and injects an output ceiling when the call names none', async () => {
      const h = await startLlmHarness({ driver: driver.name, missionBudget: { limit: 1 } });
      try {
        const client = new OpenAI({
          apiKey: 'unused',
          baseURL: `${h.url}/v1`,
          fetch: h.openai.fetch,
          maxRetries: 0,
        });
        await client.chat.completions.create({
          model: h.openai.wireModel,
          messages: [
            { role: 'system', content: SYSTEM_PROMPT },
            { role: 'user', content: 'hi' },
          ],
        });
        expect(h.provider.requests.at(-1)?.body?.max_completion_tokens).toBe(16_384);
        await h.gateway.drain();
        const mission = (await h.gateway.costs('mission'))[0]!;
        const usage = await h.gateway.ledger.usage({
          scope: 'mission',
          subject: mission.key,
          period: 'month',
          periodStart: periodStart('month', new Date()),
        });
        expect(usage).toEqual({ spent: 147_500, reserved: 0 });
      } finally {
        await h.close();
      }
    });

    it('reservations from three processes on one store are exact', async () => {
      const { store, location } = await driver.fresh();
      const ledger = new BudgetLedger(store.db, () => new Date());
      const line = {
        scope: 'agent' as const,
        subject: 'agt_x',
        period: 'total' as const,
        periodStart: 'total',
        limitNano: 25 * 7_000,
      };
      try {
        const workers = [0, 1, 2].map(() =>
          startWorker({ location, line, amount: 7_000, count: 40 }),
        );
        await Promise.all(workers.map((w) => w.ready));
        for (const worker of workers) worker.go();
        const results = await Promise.all(workers.map((w) => w.result));
        expect(results.reduce((sum, r) => sum + r.ok, 0)).toBe(25);
        expect(results.reduce((sum, r) => sum + r.refused, 0)).toBe(95);
        expect(await ledger.usage(line)).toEqual({ spent: 0, reserved: 25 * 7_000 });
      } finally {
        await store.close();
      }
    });
  });
}

// A second gateway process: the ledger from the build output, on the store of the test.
const BUILT = fileURLToPath(new URL('../dist/llm/budget-ledger.js', import.meta.url));
const STORE = pathToFileURL(fileURLToPath(new URL('../dist/store/index.js', import.meta.url))).href;
const WORKER = `
import { createInterface } from 'node:readline';
const { BudgetLedger } = await import(${JSON.stringify(pathToFileURL(BUILT).href)});
const { openPostgresStore, openSqliteStore } = await import(${JSON.stringify(STORE)});
const input = JSON.parse(process.argv[1]);
const store = input.location.kind === 'sqlite'
  ? await openSqliteStore(input.location.file)
  : await openPostgresStore(input.url, { schema: input.location.schema });
const ledger = new BudgetLedger(store.db, () => new Date());
console.log('ready');
for await (const line of createInterface({ input: process.stdin })) if (line === 'go') break;
const results = await Promise.all(Array.from({ length: input.count }, () => ledger.reserve([input.line], input.amount)));
console.log(JSON.stringify({ ok: results.filter((r) => r.ok).length, refused: results.filter((r) => !r.ok).length }));
await store.close();
`;

function startWorker(input: { location: unknown; line: unknown; amount: number; count: number }) {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run "npm run build" first`);
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', WORKER, JSON.stringify({ ...input, url: POSTGRES_URL })],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done === true) throw new Error(`budget worker ended early: ${stderr}`);
    return line.value;
  };
  return {
    ready: next().then((line) => expect(line).toBe('ready')),
    go: () => child.stdin.write('go\n'),
    result: next().then((line) => JSON.parse(line) as { ok: number; refused: number }),
  };
}
