// Assume breach, end to end: an agent touches a honeytoken tool through the real MCP gateway (the
// official MCP client, a real reference server from npm behind it) and is contained within that
// same request — its session closed, its certificate dead, its next model call denied — with an
// incident whose evidence proofs verify with @zt4ai/verify, and a signed webhook notification.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { leafHash, fromBase64, verifyCheckpoint, verifyInclusion } from '@zt4ai/verify';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LlmHarness,
  OPENAI_TOOLS,
  startLlmHarness,
  SYSTEM_PROMPT,
  type TestAgent,
} from './support/llm-harness.js';
import { MEMORY_SERVER } from './support/mcp-world.js';
import { type WebhookReceiver, webhookReceiver } from './support/webhook-receiver.js';

const HONEYTOKEN = 'vault/export_master_keys';

describe('honeytoken containment through the MCP gateway', () => {
  let h: LlmHarness;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await webhookReceiver();
    h = await startLlmHarness({
      mcp: {
        upstreams: [
          { name: 'memory', transport: 'stdio', command: process.execPath, args: [MEMORY_SERVER] },
        ],
        autoApproveTools: true,
      },
      tools: [{ name: HONEYTOKEN, honeytoken: true }],
      remediation: { webhook: { url: receiver.url, secret: receiver.secret } },
    });
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.stop();
  });

  async function connect(agent: TestAgent): Promise<Client> {
    const client = new Client({ name: 'containment-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${h.url}/mcp`), { fetch: agent.fetch }),
    );
    return client;
  }

  it('denies the call, and in that same request quarantines, revokes, ends the session and opens an incident', async () => {
    const agent = await h.agent('honeytoken-victim', { toolGrants: ['tools/call:memory/*'] });
    const certificate = await agent.identity.certificate();
    const client = await connect(agent);
    expect(h.mcp?.sessions.agents().has(agent.id)).toBe(true);
    const listed = (await client.listTools()).tools.map((t) => t.name);
    expect(listed).toContain(HONEYTOKEN);
    // Ordinary work first: the agent is allowed what its grant covers.
    const read = await client.callTool({ name: 'memory/read_graph', arguments: {} });
    expect(read.isError).not.toBe(true);

    const touched = await client.callTool({ name: HONEYTOKEN, arguments: { scope: 'all' } });

    // The answer came back only once containment was in force: no waiting here.
    expect(touched.isError).toBe(true);
    expect(JSON.stringify(touched.content)).toContain('this tool is not available');
    expect(await h.plane.identity.agentStatus(agent.id)).toBe('quarantined');
    // Its open session is closed.
    expect(h.mcp?.sessions.agents().has(agent.id)).toBe(false);
    await expect(client.listTools()).rejects.toThrow();
    // Its certificate no longer verifies.
    await expect(
      h.plane.identity.authenticator.checkCertificate(certificate),
    ).rejects.toMatchObject({ code: 'revoked' });
    // Its grants are gone.
    const grants = await h.plane.grants.grants.list({ agent: agent.id, status: 'active' });
    expect(grants).toEqual([]);
    // Its next model call is denied.
    const openai = new OpenAI({
      apiKey: 'unused',
      baseURL: `${h.url}/v1`,
      fetch: agent.fetch,
      maxRetries: 0,
    });
    const before = h.provider.requests.length;
    await expect(openai.chat.completions.create(boundChat(agent, 'hello'))).rejects.toThrow(); // the SDK cannot even obtain a new certificate: issuance refuses it
    // Presented with the certificate it held, the gateway refuses the call itself.
    const chat = `${h.url}/v1/chat/completions`;
    const refused = await fetch(chat, {
      method: 'POST',
      headers: {
        authorization: `AgentCert ${certificate}`,
        dpop: await agent.identity.proof('POST', chat, { certificate }),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ model: agent.wireModel, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'revoked' } });
    expect(h.provider.requests.length).toBe(before);

    // An incident exists, and its evidence proofs verify offline.
    const [incident] = await h.plane.remediation.incidents.list({ agent: agent.id });
    expect(incident).toMatchObject({ status: 'open', rule: 'honeytoken', quarantined: true });
    const detail = await h.plane.remediation.incidents.get(incident!.id);
    expect(detail.timeline.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['triggered', 'action', 'evidence']),
    );
    expect(detail.timeline.some((e) => e.kind === 'action-failed')).toBe(false);
    const evidence = await h.plane.remediation.incidents.evidence(incident!.id);
    const checkpoint = verifyCheckpoint(evidence.checkpoint, h.plane.audit.vkey);
    expect(evidence.entries.length).toBeGreaterThanOrEqual(2);
    for (const { index, entry, proof } of evidence.entries) {
      expect(() =>
        verifyInclusion(
          index,
          checkpoint.size,
          leafHash(Buffer.from(entry, 'utf8')),
          proof.hashes.map((h64) => fromBase64(h64)),
          checkpoint.rootHash,
        ),
      ).not.toThrow();
    }
    const entries = evidence.entries.map((e) => JSON.parse(e.entry) as Record<string, unknown>);
    expect(entries).toContainEqual(
      expect.objectContaining({
        type: 'guard.decision',
        agent: agent.id,
        tool: HONEYTOKEN,
        decision: 'deny',
        honeytoken: true,
      }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({
        type: 'remediation.contained',
        agent: agent.id,
        rules: ['honeytoken', 'severe-deny'],
      }),
    );
    // A tampered entry does not verify against the same proof.
    const first = evidence.entries[0]!;
    expect(() =>
      verifyInclusion(
        first.index,
        checkpoint.size,
        leafHash(Buffer.from(first.entry.replace('deny', 'allow'), 'utf8')),
        first.proof.hashes.map((h64) => fromBase64(h64)),
        checkpoint.rootHash,
      ),
    ).toThrow();

    // The security team is told, with a signature that verifies.
    await waitFor(() => receiver.deliveries.some((d) => d.body.incident === incident!.id));
    const delivery = receiver.deliveries.find((d) => d.body.incident === incident!.id);
    expect(delivery).toMatchObject({
      signed: true,
      body: { type: 'incident.opened', agent: agent.id, rules: ['honeytoken', 'severe-deny'] },
    });
    await client.close().catch(() => undefined);
  });

  it('cuts a model stream in flight when its agent is contained', async () => {
    const agent = await h.agent('streaming-victim');
    const openai = new OpenAI({
      apiKey: 'unused',
      baseURL: `${h.url}/v1`,
      fetch: agent.fetch,
      maxRetries: 0,
    });
    const stream = await openai.chat.completions.create({
      ...boundChat(agent, 'stream then stall [fault:stall]'),
      stream: true,
    });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next(); // the stream is flowing
    expect([...h.gateway.liveAgents()]).toContain(agent.id);
    const cut = await h.plane.remediation.sessions.terminate(agent.id);
    expect(cut).toBe(1);
    // The stalled stream ends now instead of waiting for the provider.
    const drained = (async () => {
      for (let next = await iterator.next(); !next.done; next = await iterator.next());
    })();
    await expect(
      Promise.race([
        drained.then(
          () => 'ended',
          () => 'ended',
        ),
        sleep(5000).then(() => 'hung'),
      ]),
    ).resolves.toBe('ended');
    expect([...h.gateway.liveAgents()]).not.toContain(agent.id);
  });

  it('a valid certificate presented with another key is certificate misuse: the agent is contained', async () => {
    const victim = await h.agent('misuse-victim');
    const thief = await h.agent('misuse-thief');
    const stolen = await victim.identity.certificate();
    const url = `${h.url}/v1/chat/completions`;
    const body = JSON.stringify({
      model: victim.wireModel,
      messages: [{ role: 'user', content: 'hi' }],
    });
    // The thief signs the proof with its own key under the victim's certificate.
    const proof = await thief.identity.proof('POST', url, { certificate: stolen });
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `AgentCert ${stolen}`,
        dpop: proof,
        'content-type': 'application/json',
      },
      body,
    });
    expect(response.status).toBe(401);
    expect(await h.plane.identity.agentStatus(victim.id)).toBe('quarantined');
    const [incident] = await h.plane.remediation.incidents.list({ agent: victim.id });
    expect(incident).toMatchObject({ rule: 'certificate-misuse', status: 'open' });
  });
});

/** A chat request that matches the agent's approved profile (system prompt, tools, params). */
function boundChat(agent: TestAgent, content: string) {
  return {
    model: agent.wireModel,
    messages: [
      { role: 'system' as const, content: SYSTEM_PROMPT },
      { role: 'user' as const, content },
    ],
    tools: OPENAI_TOOLS,
    temperature: 0,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(20);
  }
}
