// The `remediation` section of zt4ai.yaml (docs/containment.md): rules that turn detections into
// containment, and the webhook that containment notifies. Raw schema, defaults and resolution in one
// place, so the rest of config/ only mentions the section.
import { z } from 'zod';
import * as defaults from './defaults.js';
import { type Secret, secret, secretValue } from './secret.js';

const positiveInt = z.number().int().positive();
const RULE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

const rawTrigger = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('drift') }),
  z.strictObject({
    kind: z.literal('denial-burst'),
    count: positiveInt.max(100_000),
    withinSeconds: positiveInt.max(86_400),
  }),
  z.strictObject({ kind: z.literal('honeytoken') }),
  z.strictObject({
    kind: z.literal('severe-deny'),
    minSeverity: z.enum(['low', 'medium', 'high', 'critical']),
    /** Only denials determined by one of these policies (default: any policy). */
    policies: z.array(z.string().min(1).max(256)).max(1000).optional(),
  }),
  z.strictObject({ kind: z.literal('budget-exhausted') }),
  z.strictObject({
    kind: z.literal('rate-anomaly'),
    /** Fires when a window holds more than `factor` × the agent's own average per window. */
    factor: z.number().min(2).max(10_000),
    windowSeconds: positiveInt.max(3600),
    /** Never fires on fewer calls than this in a window (quiet agents are not anomalies). */
    minCalls: positiveInt.max(1_000_000),
  }),
  z.strictObject({ kind: z.literal('certificate-misuse') }),
]);

export const CONTAINMENT_ACTIONS = [
  'quarantine',
  'revoke',
  'kill-sessions',
  'require-reapproval',
  'notify',
  'snapshot',
] as const;

const rawRule = z.strictObject({
  id: z.string().regex(RULE_ID, 'must be lower-case letters, digits and "-"'),
  when: rawTrigger,
  then: z.array(z.enum(CONTAINMENT_ACTIONS)).min(1).max(CONTAINMENT_ACTIONS.length),
});

export const rawRemediationSchema = z.strictObject({
  /** Replaces the default rules when given (an empty list turns automatic containment off). */
  rules: z.array(rawRule).max(100).optional(),
  webhook: z
    .strictObject({
      url: z.url({ protocol: /^https?$/ }),
      /** Standard Webhooks secret (`whsec_` + base64); the HMAC key of every signature. */
      secret: secretValue,
      timeoutMs: positiveInt.max(60_000).optional(),
      maxAttempts: positiveInt.max(100).optional(),
    })
    .optional(),
});

export type RawRemediationConfig = z.infer<typeof rawRemediationSchema>;
export type TriggerConfig = z.infer<typeof rawTrigger>;
export type ContainmentAction = (typeof CONTAINMENT_ACTIONS)[number];

export interface RemediationRule {
  readonly id: string;
  readonly when: TriggerConfig;
  readonly then: readonly ContainmentAction[];
}

export interface WebhookConfig {
  readonly url: string;
  readonly secret: Secret;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
}

export interface RemediationConfig {
  readonly rules: readonly RemediationRule[];
  readonly webhook: WebhookConfig | undefined;
}

const CONTAIN = ['quarantine', 'revoke', 'kill-sessions', 'snapshot', 'notify'] as const;
const REPORT = ['snapshot', 'notify'] as const;

/** What a deployment gets without a `remediation.rules` list. */
export const DEFAULT_RULES: readonly RemediationRule[] = [
  { id: 'honeytoken', when: { kind: 'honeytoken' }, then: CONTAIN },
  { id: 'certificate-misuse', when: { kind: 'certificate-misuse' }, then: CONTAIN },
  // A drifted call is refused anyway, and the new model or prompt waits for approval; sending the
  // approved profile back to review too (require-reapproval) is for stricter deployments.
  { id: 'drift', when: { kind: 'drift' }, then: REPORT },
  {
    id: 'denial-burst',
    when: { kind: 'denial-burst', count: 20, withinSeconds: 60 },
    then: ['quarantine', 'kill-sessions', ...REPORT],
  },
  { id: 'severe-deny', when: { kind: 'severe-deny', minSeverity: 'high' }, then: REPORT },
  { id: 'budget-exhausted', when: { kind: 'budget-exhausted' }, then: REPORT },
  {
    id: 'rate-anomaly',
    when: { kind: 'rate-anomaly', factor: 10, windowSeconds: 10, minCalls: 50 },
    then: REPORT,
  },
];

export function resolveRemediationConfig(
  raw: RawRemediationConfig | undefined,
  env: Readonly<Record<string, string | undefined>>,
): RemediationConfig {
  const webhook = raw?.webhook;
  return {
    rules: raw?.rules ?? DEFAULT_RULES,
    webhook:
      webhook === undefined
        ? undefined
        : {
            url: webhook.url,
            secret: secret(webhook.secret, env, 'remediation.webhook.secret'),
            timeoutMs: webhook.timeoutMs ?? defaults.DEFAULT_WEBHOOK_TIMEOUT_MS,
            maxAttempts: webhook.maxAttempts ?? defaults.DEFAULT_WEBHOOK_MAX_ATTEMPTS,
          },
  };
}
