// `zt4ai up --demo`: the demo organization in front of real MCP servers, and its scripted agents.
import type { Logger } from 'pino';
import type { ControlPlane } from '../server.js';
import { runDemoAgents, type DemoRun, untilToolsOffered } from './demo-agents.js';
import { createDemoOrg } from './demo-org.js';
import { type DemoWorkspace, prepareDemoWorkspace } from './demo-workspace.js';
import { freeLoopbackPort } from './free-port.js';
import { type DemoModel, startDemoModel } from './model-server.js';

/** Tools of every upstream the first agent may call: offered once all of them are connected. */
const UPSTREAM_PROBE = ['kb/list_directory', 'memory/read_graph', 'orders/customer_lookup'];
const UPSTREAM_WAIT_MS = 30_000;

/** Creates the organization and starts its agents; call once the server is listening. */
export async function startDemo(
  plane: ControlPlane,
  workspace: DemoWorkspace,
  logger: Logger,
): Promise<DemoRun> {
  const agents = await createDemoOrg(plane, workspace.issuer);
  const first = agents[0];
  if (first !== undefined)
    await untilToolsOffered(first, workspace.issuer, UPSTREAM_PROBE, UPSTREAM_WAIT_MS);
  logger.info(
    { agents: agents.map((a) => a.name) },
    'demo: organization created; agents start working',
  );
  return runDemoAgents(agents, {
    issuer: workspace.issuer,
    files: `${workspace.dir}/files`,
    logger,
  });
}

/** The demo's workspace and its local model, on `port` (a free one when it is 0). */
export async function setUpDemo(
  dataDir: string,
  host: string,
  port: number,
): Promise<{ workspace: DemoWorkspace; port: number; model: DemoModel }> {
  const listenPort = port === 0 ? await freeLoopbackPort(host) : port;
  const model = await startDemoModel();
  try {
    return {
      workspace: prepareDemoWorkspace(dataDir, listenPort, model.baseUrl),
      port: listenPort,
      model,
    };
  } catch (error) {
    await model.close();
    throw error;
  }
}
