// `zt4ai policy …`: keys and signatures of bundles, and offline evaluation, tests and explanations.
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { ZtError } from '../errors.js';
import { commandContext } from './context.js';
import { readDataFile } from './read-input-file.js';
import {
  cedarFiles,
  loadSignedBundle,
  loadUnsignedBundle,
  signBundle,
} from '../policy/policy-bundle.js';
import { readTrustedKeys } from '../policy/load-policies.js';
import { evaluateLines, explainInput, runPolicyTests } from './policy-evaluation.js';

export function policyCommand(): Command {
  const policy = new Command('policy').description(
    'Cedar policy bundles: sign, verify, evaluate, test, explain',
  );
  policy
    .command('keygen')
    .description(
      'create an Ed25519 bundle signing key (private JWK, mode 0600); prints the public JWK',
    )
    .requiredOption('--out <file>', 'where to write the private key')
    .action(async (options: { out: string }, command: Command) => {
      const { output } = commandContext(command);
      const { publicKey, privateKey } = await generateKeyPair('Ed25519', { extractable: true });
      try {
        writeFileSync(options.out, `${JSON.stringify(await exportJWK(privateKey))}\n`, {
          mode: 0o600,
          flag: 'wx',
        });
      } catch (cause) {
        throw new ZtError(
          'invalid-argument',
          `cannot create ${options.out} (it must not exist yet)`,
          { cause },
        );
      }
      const pub = await exportJWK(publicKey);
      output.result(pub, JSON.stringify(pub));
    });
  policy
    .command('sign')
    .description('write manifest.json and manifest.sig for a bundle directory')
    .requiredOption('--bundle <dir>', 'bundle directory')
    .requiredOption('--key <file.jwk>', 'private signing key')
    .requiredOption('--name <name>', 'bundle name')
    .requiredOption('--version <version>', 'bundle version')
    .action(
      async (
        options: { bundle: string; key: string; name: string; version: string },
        command: Command,
      ) => {
        const { output } = commandContext(command);
        const privateJwk = readDataFile(options.key) as JWK;
        const manifest = await signBundle(options.bundle, {
          name: options.name,
          version: options.version,
          privateJwk,
        });
        output.result(
          manifest,
          `signed ${manifest.name}@${manifest.version}: ${Object.keys(manifest.files).length} files`,
        );
      },
    );
  policy
    .command('verify')
    .description('verify a bundle signature and its files against trusted keys')
    .requiredOption('--bundle <dir>', 'bundle directory')
    .option(
      '--trusted-key <file.jwk...>',
      'trusted public keys (default: policy.trustedKeys from config)',
    )
    .action(async (options: { bundle: string; trustedKey?: string[] }, command: Command) => {
      const { config, output } = commandContext(command);
      const keys = readTrustedKeys(options.trustedKey ?? config.policy.trustedKeys);
      if (keys.length === 0)
        throw new ZtError(
          'invalid-argument',
          'no trusted keys: give --trusted-key or set policy.trustedKeys',
        );
      const bundle = await loadSignedBundle(options.bundle, keys);
      output.result(
        {
          valid: true,
          name: bundle.manifest.name,
          version: bundle.manifest.version,
          signedBy: bundle.signedBy,
          policies: bundle.policies.length,
        },
        `valid: ${bundle.manifest.name}@${bundle.manifest.version}, signed by ${bundle.signedBy ?? ''}`,
      );
    });
  policy
    .command('list')
    .description('list the policies of a bundle (or of the baseline pack)')
    .requiredOption('--bundle <dir|baseline>', 'bundle directory, or "baseline"')
    .action(async (options: { bundle: string }, command: Command) => {
      const { output } = commandContext(command);
      const policies = await bundlePolicies(options.bundle);
      const rows = policies.map((p) => ({
        id: p.id,
        effect: p.effect,
        reason: p.annotations.reason ?? '',
        severity: p.annotations.severity ?? '',
      }));
      output.result(
        { policies: rows },
        rows.map((r) => `${r.effect.padEnd(6)}  ${r.id}  ${r.reason}`).join('\n'),
      );
    });
  policy
    .command('diff <from> <to>')
    .description(
      'policies added, removed and changed between two bundles (directories or "baseline")',
    )
    .action(async (from: string, to: string, _options, command: Command) => {
      const { output } = commandContext(command);
      const [a, b] = [await bundlePolicies(from), await bundlePolicies(to)];
      const before = new Map(a.map((p) => [p.id, p.text]));
      const after = new Map(b.map((p) => [p.id, p.text]));
      const diff = {
        added: [...after.keys()].filter((id) => !before.has(id)),
        removed: [...before.keys()].filter((id) => !after.has(id)),
        changed: [...after.keys()].filter(
          (id) => before.has(id) && before.get(id) !== after.get(id),
        ),
      };
      output.result(
        diff,
        [
          ...diff.added.map((id) => `+ ${id}`),
          ...diff.removed.map((id) => `- ${id}`),
          ...diff.changed.map((id) => `~ ${id}`),
        ].join('\n'),
      );
    });
  policy
    .command('eval')
    .description(
      'replay JSON lines through the guard offline; prints one decision per line, in order',
    )
    .requiredOption(
      '--bundle <dir|baseline>',
      'bundle directory (signature not required offline), or "baseline"',
    )
    .requiredOption(
      '--input <file.jsonl>',
      'input lines: {id, agent, action, tool?, args?, argKinds?, session?}',
    )
    .option('--assume-granted', 'treat the grant check as satisfied, so only the guardrails decide')
    .action(
      async (
        options: { bundle: string; input: string; assumeGranted?: boolean },
        command: Command,
      ) => {
        const { config, output } = commandContext(command);
        const failed = await evaluateLines(config, options, (line) =>
          output.line(JSON.stringify(line)),
        );
        if (failed > 0)
          throw new ZtError('invalid-argument', `${failed} input line(s) were malformed (denied)`);
      },
    );
  policy
    .command('test')
    .description(
      'run the test cases beside a bundle (tests/*.yaml: cases of input + expected decision)',
    )
    .requiredOption('--bundle <dir>', 'bundle directory')
    .action(async (options: { bundle: string }, command: Command) => {
      const { config, output } = commandContext(command);
      const results = await runPolicyTests(config, options.bundle);
      const failed = results.filter((r) => !r.passed);
      for (const r of results)
        output.result(
          r,
          `${r.passed ? 'pass' : 'FAIL'}  ${r.file}: ${r.name}${r.passed ? '' : ` (expected ${r.expected}, got ${r.actual})`}`,
        );
      output.result(
        { passed: results.length - failed.length, failed: failed.length },
        `${results.length - failed.length} passed, ${failed.length} failed`,
      );
      if (failed.length > 0) process.exitCode = 1;
    });
  policy
    .command('explain')
    .description('which policies and facts decided one input')
    .requiredOption('--bundle <dir|baseline>', 'bundle directory, or "baseline"')
    .requiredOption('--input <file>', 'one input object (JSON or YAML), as in policy eval')
    .option('--assume-granted', 'treat the grant check as satisfied')
    .action(
      async (
        options: { bundle: string; input: string; assumeGranted?: boolean },
        command: Command,
      ) => {
        const { config, output } = commandContext(command);
        const explanation = await explainInput(
          config,
          options.bundle,
          readDataFile(options.input),
          options.assumeGranted === true,
        );
        output.result(explanation, JSON.stringify(explanation, null, 2));
      },
    );
  return policy;
}

async function bundlePolicies(dir: string) {
  if (dir === 'baseline') return (await import('../policy/baseline.js')).baselinePolicies();
  if (cedarFiles(dir).length === 0)
    throw new ZtError('bundle-invalid', `${dir} has no .cedar files`);
  return loadUnsignedBundle(dir).policies;
}
