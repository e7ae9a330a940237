// The governance center in a real browser (Debian Chromium via playwright-core) against the real
// server: the dashboard built by Vite and served by the gateway, real MCP reference servers behind
// /mcp, agents with real identities. Operators log in with one-time links as people do.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, launchBrowser } from './support/browser.js';
import { MEMORY_SERVER, type McpWorld, mcpWorld, type TestAgent } from './support/mcp-world.js';
import { loginToken } from './support/operators.js';
import { tempDir } from './support/stores.js';

/** How long the page may take to show what the server already did. */
const WAIT = { timeout: 10_000, interval: 100 };

let world: McpWorld;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const dir = tempDir('zt4ai-dashboard-');
  world = await mcpWorld({
    tools: [
      { name: 'memory/read_graph', sink: 'internal' },
      { name: 'memory/create_entities', sink: 'internal' },
      { name: 'memory/delete_entities', privileged: true, sink: 'internal' },
    ],
    mcp: {
      upstreams: [
        {
          name: 'memory',
          transport: 'stdio',
          command: process.execPath,
          args: [MEMORY_SERVER],
          env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') },
        },
      ],
    },
  });
  await world.grant(world.agent, [
    'tools/call:memory/read_graph',
    'tools/call:memory/create_entities',
  ]);
  browser = await launchBrowser();
  page = await browser.context.newPage();
  const token = await loginToken(world.plane, 'olivia', ['admin']);
  await page.goto(`${world.url}/#login=${token}`);
  await page.getByTestId('live-status').getByText('live').waitFor();
});

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

/** Calls a memory tool as `agent` over /mcp; resolves with the result or rejects with the error. */
async function callTool(
  agent: TestAgent,
  name: string,
  args: Record<string, unknown>,
): Promise<unknown> {
  const client = await world.connect('modern', agent);
  try {
    return await client.callTool({ name, arguments: args });
  } finally {
    await client.close();
  }
}

describe('the governance center in a browser', () => {
  it('logs in with a one-time link and shows live events as they happen', async () => {
    await expect.poll(() => page.locator('header .who').textContent()).toBe('olivia (admin)');
    const activity = page.getByTestId('live-activity');
    await activity.waitFor();
    const before = await activity.locator('li[data-type="guard.decision"]').count();
    await callTool(world.agent, 'memory/read_graph', {});
    await expect
      .poll(
        () => activity.locator('li[data-type="guard.decision"][data-decision="allow"]').count(),
        WAIT,
      )
      .toBeGreaterThan(before);
    await expect
      .poll(() => activity.locator('li[data-type="guard.decision"]').first().textContent(), WAIT)
      .toContain('memory/read_graph');
  });

  it('approves a pending grant, and the waiting agent proceeds', async () => {
    const agent = world.agent;
    const requested = await agent.identity.fetch(`${world.url}/api/grants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        task: 'clean up stale entities',
        allow: ['tools/call:memory/delete_entities'],
      }),
    });
    expect(requested.status).toBe(201);
    const grant = (await requested.json()) as { id: string; status: string };
    expect(grant.status).toBe('pending');
    const waited = agent.identity.fetch(
      `${world.url}/api/grants/${grant.id}/wait?timeoutSeconds=60`,
    );

    await page.goto(`${world.url}/#/approvals`);
    const row = page.locator(`tr[data-grant="${grant.id}"]`);
    await row.getByRole('button', { name: 'Approve' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    await dialog.locator('textarea[name="reason"]').fill('cleanup agreed in the weekly review');
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => row.count(), WAIT).toBe(0);

    const decided = (await (await waited).json()) as { status: string; decidedBy: string };
    expect(decided).toMatchObject({ status: 'active', decidedBy: 'olivia' });
    const result = (await callTool(agent, 'memory/delete_entities', {
      entityNames: ['stale'],
    })) as { isError?: boolean };
    expect(result.isError ?? false).toBe(false);

    await page.goto(`${world.url}/#/`);
    const allowed = page
      .getByTestId('live-activity')
      .locator('li[data-type="guard.decision"][data-decision="allow"]', {
        hasText: 'memory/delete_entities',
      });
    await expect.poll(() => allowed.count(), WAIT).toBeGreaterThan(0);
  });

  it('quarantines an agent from its page, and its next call is refused', async () => {
    const agent = await world.addAgent();
    await world.grant(agent, ['tools/call:memory/read_graph']);
    await callTool(agent, 'memory/read_graph', {});

    await page.goto(`${world.url}/#/agents/${agent.id}`);
    await expect.poll(() => page.getByTestId('agent-status').textContent(), WAIT).toBe('active');
    await page.getByRole('button', { name: 'Quarantine' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.locator('textarea[name="reason"]').fill('suspicious exports');
    await dialog.getByRole('button', { name: 'Quarantine' }).click();
    await expect
      .poll(() => page.getByTestId('agent-status').textContent(), WAIT)
      .toBe('quarantined');

    await expect(callTool(agent, 'memory/read_graph', {})).rejects.toThrow();
    const timeline = page.getByTestId('agent-timeline');
    await expect
      .poll(
        () => timeline.locator('li[data-type="identity.agent.status"]').first().textContent(),
        WAIT,
      )
      .toContain('quarantined');
    expect(await world.plane.identity.agentStatus(agent.id)).toBe('quarantined');
  });

  it('opens an audit entry and verifies its inclusion proof in the browser', async () => {
    await page.goto(`${world.url}/#/audit`);
    await page.locator('form.search input[name="type"]').fill('guard.decision');
    await page.locator('form.search button[type="submit"]').click();
    const first = page.getByTestId('audit-results').locator('li a').first();
    await first.waitFor();
    await first.click();
    const status = page.getByTestId('proof-status');
    await expect
      .poll(() => status.textContent(), WAIT)
      .toContain('Inclusion proof verified in this browser');
    expect(await status.getAttribute('class')).toBe('verified');
  });
});
