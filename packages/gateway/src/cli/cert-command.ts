// `zt4ai cert …`: issue, verify and revoke agentic certificates.
import { Command } from 'commander';
import { VerifyError } from '@zt4ai/verify';
import { ZtError } from '../errors.js';
import type { RevokeTarget } from '../identity/index.js';
import { cliActor, commandContext, withControlPlane } from './context.js';
import { nonNegativeInteger } from './options.js';

export function certCommand(): Command {
  const cert = new Command('cert').description('agentic certificates');
  cert
    .command('issue <agent>')
    .description("issue a certificate for the agent's approved profile; prints the JWT")
    .option('--ttl <seconds>', 'lifetime (default 600, at most 3600)', nonNegativeInteger('--ttl'))
    .option('--acting-for <sub>', 'on whose behalf the agent acts (act claim)')
    .action(
      async (ref: string, options: { ttl?: number; actingFor?: string }, command: Command) => {
        const { config, output } = commandContext(command);
        const issued = await withControlPlane(config, (plane) =>
          plane.identity.issue(ref, cliActor(command), {
            ...(options.ttl === undefined ? {} : { ttlSeconds: options.ttl }),
            ...(options.actingFor === undefined ? {} : { actingFor: options.actingFor }),
          }),
        );
        output.result(
          { token: issued.token, jti: issued.jti, expiresAt: issued.expiresAt },
          issued.token,
        );
      },
    );
  cert
    .command('verify')
    .description('verify a certificate (and a proof of possession); exits 0 only if valid')
    .requiredOption('--token <jwt>', 'the certificate')
    .option('--proof <jwt>', 'a DPoP proof for the request')
    .option('--method <method>', 'the request method the proof is for', 'GET')
    .option('--url <url>', 'the request URL the proof is for')
    .action(
      async (
        options: { token: string; proof?: string; method: string; url?: string },
        command: Command,
      ) => {
        const { config, output } = commandContext(command);
        const result = await withControlPlane(config, async (plane) => {
          try {
            const verified =
              options.proof === undefined
                ? await plane.identity.authenticator.checkCertificate(options.token)
                : await plane.identity.authenticator.authenticate({
                    certificate: options.token,
                    proof: options.proof,
                    method: options.method.toUpperCase(),
                    url: requireUrl(options.url),
                  });
            return { valid: true, code: 'ok', claims: verified.claims };
          } catch (error) {
            if (error instanceof VerifyError)
              return { valid: false, code: error.code, claims: null };
            throw error;
          }
        });
        output.result(
          result,
          result.valid ? `valid: ${result.claims?.sub ?? ''}` : `invalid: ${result.code}`,
        );
        if (!result.valid) process.exitCode = 1;
      },
    );
  cert
    .command('revoke')
    .description('revoke by certificate id, by agent (all its certificates) or by issuer key')
    .option('--jti <jti>', 'one certificate')
    .option('--agent <agent>', 'every certificate of an agent')
    .option('--kid <kid>', 'every certificate signed by an issuer key (key compromise)')
    .option('--reason <text>', 'why (recorded in the audit log)', '')
    .action(
      async (
        options: { jti?: string; agent?: string; kid?: string; reason: string },
        command: Command,
      ) => {
        const { config, output } = commandContext(command);
        const target = revokeTarget(options);
        await withControlPlane(config, (plane) =>
          plane.identity.revoke(target, cliActor(command), options.reason),
        );
        output.result({ revoked: target }, 'revoked');
      },
    );
  return cert;
}

function revokeTarget(options: { jti?: string; agent?: string; kid?: string }): RevokeTarget {
  const given = [options.jti, options.agent, options.kid].filter((v) => v !== undefined);
  if (given.length !== 1)
    throw new ZtError('invalid-argument', 'give exactly one of --jti, --agent, --kid');
  if (options.jti !== undefined) return { jti: options.jti };
  if (options.agent !== undefined) return { agent: options.agent };
  return { kid: options.kid as string };
}

function requireUrl(url: string | undefined): string {
  if (url === undefined)
    throw new ZtError('invalid-argument', '--proof needs --url (and --method)');
  return url;
}
