// The `remediation` section of zt4ai.yaml: defaults, a rule list replacing them, and refusals that
// name the key.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { DEFAULT_RULES } from '../src/config/remediation-config.js';
import { ZtError } from '../src/errors.js';
import { cleanupStores, tempDir } from './support/stores.js';

afterAll(cleanupStores);

function load(yaml: string, env: Record<string, string> = {}) {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'zt4ai.yaml'), yaml);
  return loadConfig({ cwd, env });
}

function refusal(yaml: string, env: Record<string, string> = {}): ZtError {
  try {
    load(yaml, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ZtError);
    return error as ZtError;
  }
  throw new Error('expected a configuration error');
}

describe('remediation configuration', () => {
  it('applies the default rules without a section, and no webhook', () => {
    const config = load('{}\n');
    expect(config.remediation).toEqual({ rules: DEFAULT_RULES, webhook: undefined });
  });

  it('a rule list replaces the defaults; the webhook secret may come from the environment', () => {
    const config = load(
      [
        'remediation:',
        '  rules:',
        '    - { id: probing, when: { kind: denial-burst, count: 5, withinSeconds: 30 }, then: [quarantine, notify] }',
        '  webhook: { url: "https://soc.example.com/hook", secret: { env: HOOK_SECRET } }',
      ].join('\n'),
      { HOOK_SECRET: 'whsec_c2VjcmV0' },
    );
    expect(config.remediation.rules).toEqual([
      {
        id: 'probing',
        when: { kind: 'denial-burst', count: 5, withinSeconds: 30 },
        then: ['quarantine', 'notify'],
      },
    ]);
    expect(config.remediation.webhook).toMatchObject({ timeoutMs: 5000, maxAttempts: 12 });
    expect(config.remediation.webhook?.secret.reveal()).toBe('whsec_c2VjcmV0');
    expect(inspect(config.remediation.webhook)).not.toContain('c2VjcmV0');
    expect(load('remediation: { rules: [] }\n').remediation.rules).toEqual([]);
  });

  it('refuses an unknown trigger, an unknown action, a missing setting and an unset secret', () => {
    const rule = (when: string, then = '[quarantine]') =>
      `remediation:\n  rules:\n    - { id: r, when: ${when}, then: ${then} }\n`;
    expect(refusal(rule('{ kind: moon-phase }')).code).toBe('config-invalid');
    expect(refusal(rule('{ kind: honeytoken }', '[explode]')).code).toBe('config-invalid');
    expect(refusal(rule('{ kind: denial-burst, count: 3 }')).message).toContain(
      'remediation.rules.0.when',
    );
    expect(refusal(rule('{ kind: honeytoken, extra: 1 }')).code).toBe('config-unknown-key');
    expect(refusal(rule('{ kind: honeytoken }', '[]')).code).toBe('config-invalid');
    const unset = refusal(
      'remediation: { webhook: { url: "https://soc.example.com/h", secret: { env: NOPE } } }\n',
    );
    expect(unset.message).toContain('remediation.webhook.secret');
  });
});
