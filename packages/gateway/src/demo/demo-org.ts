// The demo organization: four agents in four teams, each with a mission, an approved profile and
// task grants for its ordinary work. Agents hold real keys (@zt4ai/sdk) and get their certificates
// over HTTP like any agent.
import { AgentIdentity } from '@zt4ai/sdk';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { ControlPlane } from '../server.js';
import { DEMO_MODEL_RESOURCE } from './demo-workspace.js';

export type DemoRole = 'support' | 'analyst' | 'ops' | 'research';

export interface DemoAgent {
  readonly role: DemoRole;
  readonly id: string;
  readonly name: string;
  readonly identity: AgentIdentity;
  /** Kept so the drift step can present the same key with another prompt. */
  readonly privateJwk: JWK;
  /** The prompt it was approved with (the drift step presents another one). */
  readonly prompt: {
    template: string;
    tools: Array<{ name: string; description: string }>;
    params: Record<string, unknown>;
  };
}

export const DEMO_MODEL = { provider: 'openai', name: 'gpt-4o-mini', version: '2024-07-18' };
const SETUP = 'demo:setup';
const DAY = 24 * 3600;

interface Blueprint {
  role: DemoRole;
  name: string;
  team: string;
  owner: string;
  mission: { name: string; purpose: string; tools: string[] };
  prompt: string;
  grant: string[];
}

const BLUEPRINTS: readonly Blueprint[] = [
  {
    role: 'support',
    name: 'support-bot',
    team: 'support',
    owner: 'maria',
    mission: {
      name: 'customer-support',
      purpose: 'Answer customer questions from the knowledge base',
      tools: ['kb/*', 'orders/customer_lookup', 'memory/*'],
    },
    prompt: 'You answer customer questions using the knowledge base only.',
    grant: ['tools/call:kb/*', 'tools/call:orders/customer_lookup', 'tools/call:memory/*'],
  },
  {
    role: 'analyst',
    name: 'orders-analyst',
    team: 'data',
    owner: 'deepak',
    mission: {
      name: 'order-analytics',
      purpose: 'Report on orders and settle small refunds',
      tools: ['orders/*'],
    },
    prompt: 'You analyse orders in the orders database and prepare refunds under 50 USD.',
    grant: ['tools/call:orders/query'],
  },
  {
    role: 'ops',
    name: 'ops-agent',
    team: 'operations',
    owner: 'lena',
    mission: {
      name: 'operations',
      purpose: 'Keep the help center files in order',
      tools: ['kb/*'],
    },
    prompt: 'You keep the help center files tidy. Never delete files.',
    grant: ['tools/call:kb/*'],
  },
  {
    role: 'research',
    name: 'research-bot',
    team: 'research',
    owner: 'tom',
    mission: {
      name: 'market-research',
      purpose: 'Summarise market notes',
      tools: ['kb/*', 'orders/*'],
    },
    prompt: 'You summarise market research notes for the product team.',
    grant: ['tools/call:kb/read_text_file'],
  },
];

export async function createDemoOrg(plane: ControlPlane, issuer: string): Promise<DemoAgent[]> {
  await plane.grants.operators.set('demo-approver', ['approver']);
  const agents: DemoAgent[] = [];
  for (const blueprint of BLUEPRINTS) agents.push(await createAgent(plane, issuer, blueprint));
  return agents;
}

async function createAgent(plane: ControlPlane, issuer: string, b: Blueprint): Promise<DemoAgent> {
  const mission = await plane.identity.createMission(
    {
      name: b.mission.name,
      purpose: b.mission.purpose,
      allow: {
        actions: ['tools/call', 'llm/complete'],
        tools: [...b.mission.tools, DEMO_MODEL_RESOURCE],
      },
      maxGrantTtlSeconds: DAY,
    },
    SETUP,
  );
  const prompt = { template: b.prompt, tools: [], params: { temperature: 0 } };
  const { privateKey } = await generateKeyPair('Ed25519', { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const identity = await AgentIdentity.create({
    issuer,
    agent: b.name,
    key: { privateJwk },
    model: DEMO_MODEL,
    prompt,
  });
  const { agent } = await plane.identity.registerAgent(
    {
      name: b.name,
      owner: b.owner,
      team: b.team,
      publicJwk: identity.publicJwk,
      model: DEMO_MODEL,
      prompt,
      mission: mission.id,
    },
    SETUP,
  );
  await plane.identity.approveProfile(agent.id, undefined, SETUP);
  const grant = await plane.grants.request(
    {
      agent: agent.id,
      task: `${b.mission.name}: daily work`,
      allow: [...b.grant, `llm/complete:${DEMO_MODEL_RESOURCE}`],
      ttlSeconds: DAY,
    },
    SETUP,
  );
  if (grant.status === 'pending')
    await plane.grants.approve(grant.id, 'demo-approver', 'standing work of the demo');
  return { role: b.role, id: agent.id, name: b.name, identity, privateJwk, prompt };
}
