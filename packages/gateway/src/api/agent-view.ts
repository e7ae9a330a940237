// What an operator sees of an agent (the API and the CLI alike): never its key material beyond the
// thumbprint.
import type { Agent } from '../identity/index.js';

export function agentView(agent: Agent): Record<string, unknown> {
  return {
    id: agent.id,
    name: agent.name,
    owner: agent.owner,
    team: agent.team,
    status: agent.status,
    jkt: agent.jkt,
    createdAt: agent.createdAt,
  };
}
