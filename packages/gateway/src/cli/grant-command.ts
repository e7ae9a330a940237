// `zt4ai grant …` and `zt4ai operator …`: task grants and the people who approve them.
import { Command } from 'commander';
import { loginUrl } from '../access/index.js';
import type { Grant } from '../grants/index.js';
import { cliActor, commandContext, withControlPlane } from './context.js';
import { operatorAccess } from './governance-setup.js';
import { nonNegativeInteger } from './options.js';

export function grantCommand(): Command {
  const grant = new Command('grant').description(
    'task grants: least privilege, expiring by time and use',
  );
  grant
    .command('request')
    .description('request a grant for an agent; prints {"id", "status"}')
    .requiredOption('--agent <agent>', 'agent id or name')
    .requiredOption('--task <text>', 'the task the grant is for')
    .requiredOption(
      '--allow <ACTION:RESOURCE...>',
      'permissions, e.g. tools/call:db/query tools/call:fs/*',
    )
    .option('--purpose <text>', 'justification shown to the approver', '')
    .option('--ttl <seconds>', 'lifetime (at most the mission allows)', nonNegativeInteger('--ttl'))
    .option('--max-uses <n>', 'number of calls the grant allows', nonNegativeInteger('--max-uses'))
    .option('--label <labels...>', 'data classes the grant may touch')
    .option('--budget <amount>', 'spending the grant allows (in the mission currency)', parseFloat)
    .option('--currency <code>', 'currency of --budget', 'USD')
    .action(
      async (
        options: {
          agent: string;
          task: string;
          allow: string[];
          purpose: string;
          ttl?: number;
          maxUses?: number;
          label?: string[];
          budget?: number;
          currency: string;
        },
        command: Command,
      ) => {
        const { config, output } = commandContext(command);
        const created = await withControlPlane(config, (plane) =>
          plane.grants.request(
            {
              agent: options.agent,
              task: options.task,
              purpose: options.purpose,
              allow: options.allow,
              ...(options.ttl === undefined ? {} : { ttlSeconds: options.ttl }),
              ...(options.maxUses === undefined ? {} : { maxUses: options.maxUses }),
              ...(options.label === undefined ? {} : { labels: options.label }),
              ...(options.budget === undefined
                ? {}
                : { budget: { limit: options.budget, currency: options.currency } }),
            },
            cliActor(command),
          ),
        );
        output.result(
          { id: created.id, status: created.status },
          `${created.id} ${created.status}: ${created.decisionReason}`,
        );
      },
    );
  for (const [name, help] of [
    ['approve', 'approve a pending request (approver role; not your own request)'],
    ['deny', 'deny a pending request (approver role)'],
  ] as const) {
    grant
      .command(`${name} <id>`)
      .description(help)
      .requiredOption('--reason <text>', 'why (recorded in the audit log)')
      .action(async (id: string, options: { reason: string }, command: Command) => {
        const { config, output } = commandContext(command);
        const decided = await withControlPlane(config, (plane) =>
          name === 'approve'
            ? plane.grants.approve(id, cliActor(command), options.reason)
            : plane.grants.deny(id, cliActor(command), options.reason),
        );
        output.result(grantJson(decided), `${decided.id} ${decided.status}`);
      });
  }
  grant
    .command('revoke <id>')
    .description('end a grant now')
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .action(async (id: string, options: { reason: string }, command: Command) => {
      const { config, output } = commandContext(command);
      const revoked = await withControlPlane(config, (plane) =>
        plane.grants.revoke(id, cliActor(command), options.reason),
      );
      output.result(grantJson(revoked), `${revoked.id} revoked`);
    });
  grant
    .command('end <id>')
    .description('the task is done: end its grant')
    .action(async (id: string, _options, command: Command) => {
      const { config, output } = commandContext(command);
      const ended = await withControlPlane(config, (plane) =>
        plane.grants.endTask(id, cliActor(command)),
      );
      output.result(grantJson(ended), `${ended.id} ended`);
    });
  grant
    .command('list')
    .description('list grants (newest first)')
    .option('--agent <agent>', 'only this agent (id)')
    .option('--status <status>', 'pending, active, denied, revoked or ended')
    .action(async (options: { agent?: string; status?: Grant['status'] }, command: Command) => {
      const { config, output } = commandContext(command);
      const grants = await withControlPlane(config, (plane) =>
        plane.grants.grants.list({
          ...(options.agent === undefined ? {} : { agent: options.agent }),
          ...(options.status === undefined ? {} : { status: options.status }),
        }),
      );
      output.result(
        { grants: grants.map(grantJson) },
        grants.map((g) => `${g.id}  ${g.status.padEnd(8)}  ${g.agent}  ${g.task}`).join('\n'),
      );
    });
  grant
    .command('show <id>')
    .description('show one grant')
    .action(async (id: string, _options, command: Command) => {
      const { config, output } = commandContext(command);
      const shown = await withControlPlane(config, (plane) => plane.grants.grants.get(id));
      output.result(grantJson(shown), JSON.stringify(grantJson(shown), null, 2));
    });
  return grant;
}

export function operatorCommand(): Command {
  const operator = new Command('operator').description(
    'operators and their roles (admin, approver, auditor, viewer)',
  );
  operator
    .command('set <name>')
    .description('create an operator or replace its roles')
    .requiredOption('--role <roles...>', 'admin, approver, auditor, viewer')
    .action(async (name: string, options: { role: string[] }, command: Command) => {
      const { config, output } = commandContext(command);
      const set = await withControlPlane(config, async (plane) => {
        const result = await plane.grants.operators.set(name, options.role);
        await plane.audit.append({
          type: 'operator.roles',
          actor: cliActor(command),
          operator: name,
          roles: result.roles,
        });
        return result;
      });
      output.result(set, `${set.name}: ${set.roles.join(', ')}`);
    });
  operator
    .command('list')
    .description('list operators')
    .action(async (_options, command: Command) => {
      const { config, output } = commandContext(command);
      const list = await withControlPlane(config, (plane) => plane.grants.operators.list());
      output.result(
        { operators: list },
        list
          .map(
            (o) =>
              `${o.name}: ${o.roles.join(', ')}${o.source === 'oidc' ? ' (single sign-on)' : ''}`,
          )
          .join('\n'),
      );
    });
  operator
    .command('login-link <name>')
    .description('a one-time link that logs the operator in to the governance center')
    .action(async (name: string, _options, command: Command) => {
      const { config, output } = commandContext(command);
      const link = await withControlPlane(config, (plane) =>
        operatorAccess(plane).issueLoginLink(name, cliActor(command)),
      );
      const url = loginUrl(config.identity.issuer, link.token);
      output.result({ operator: name, url, expiresAt: link.expiresAt }, url);
    });
  return operator;
}

function grantJson(grant: Grant): Record<string, unknown> {
  return { ...grant };
}
