// `zt4ai keys …`: the issuer's signing keys.
import { Command } from 'commander';
import { cliActor, commandContext, withControlPlane } from './context.js';

export function keysCommand(): Command {
  const keys = new Command('keys').description("the issuer's signing keys");
  keys
    .command('list')
    .description('list keys and their state (current, next, retired, revoked)')
    .action(async (_options, command: Command) => {
      const { config, output } = commandContext(command);
      const list = await withControlPlane(config, (plane) => plane.identity.keys.list());
      output.result({ keys: list }, list.map((k) => `${k.kid}  ${k.state}`).join('\n'));
    });
  keys
    .command('rotate')
    .description('current → retired, next → current, and a new next key')
    .action(async (_options, command: Command) => {
      const { config, output } = commandContext(command);
      const rotated = await withControlPlane(config, (plane) =>
        plane.identity.rotateKeys(cliActor(command)),
      );
      output.result(rotated, `current key is now ${rotated.current}`);
    });
  keys
    .command('jwks')
    .description('print the public JWKS relying parties use')
    .action(async (_options, command: Command) => {
      const { config, output } = commandContext(command);
      const jwks = await withControlPlane(config, (plane) => plane.identity.keys.jwks());
      output.result(jwks, JSON.stringify(jwks, null, 2));
    });
  return keys;
}
