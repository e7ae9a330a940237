// The `operators` section of zt4ai.yaml (docs/governance.md, "Single sign-on"): operators log in
// through the organization's OpenID Connect provider, their roles mapped from a claim. Raw schema,
// defaults and resolution in one place.
import { z } from 'zod';
import { ZtError } from '../errors.js';
import { type Secret, secret, secretValue } from './secret.js';

const ROLE = z.enum(['admin', 'approver', 'auditor', 'viewer']);
const CLAIM = z.string().regex(/^[A-Za-z0-9_:.\-/]{1,128}$/, 'must be a claim name');
const SCOPE = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/, 'must be an OAuth scope');
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export const rawOperatorsSchema = z.strictObject({
  oidc: z
    .strictObject({
      /** The provider's issuer URL (its discovery document is read from it). */
      issuer: z.url({ protocol: /^https?$/ }),
      clientId: z.string().min(1).max(512),
      clientSecret: secretValue,
      /** Default: openid, email, profile. `openid` is always asked for. */
      scopes: z.array(SCOPE).max(20).optional(),
      /** The ID token claim that names the operator. Default: email. */
      nameClaim: CLAIM.optional(),
      /** The ID token claim holding the account's groups (a string or an array). Default: groups. */
      rolesClaim: CLAIM.optional(),
      /** Group → zt4ai roles. A group not listed grants nothing; no role, no login. */
      roles: z.record(z.string().min(1).max(256), z.array(ROLE).min(1).max(4)),
    })
    .optional(),
});

export interface OidcConfig {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: Secret;
  readonly scopes: readonly string[];
  readonly nameClaim: string;
  readonly rolesClaim: string;
  readonly roles: Readonly<Record<string, readonly string[]>>;
  /** `<identity.issuer>/api/session/oidc/callback`: register it at the provider. */
  readonly redirectUrl: string;
}

export interface OperatorsConfig {
  /** Single sign-on for operators; undefined: login links only. */
  readonly oidc: OidcConfig | undefined;
}

export function resolveOperatorsConfig(
  raw: z.infer<typeof rawOperatorsSchema> | undefined,
  env: Readonly<Record<string, string | undefined>>,
  publicUrl: string,
): OperatorsConfig {
  const oidc = raw?.oidc;
  if (oidc === undefined) return { oidc: undefined };
  const issuer = new URL(oidc.issuer);
  // The provider's answers decide who administers zt4ai: only over TLS, or on this very host.
  if (issuer.protocol === 'http:' && !LOOPBACK_HOSTS.has(issuer.hostname))
    throw new ZtError(
      'config-invalid',
      'operators.oidc.issuer must be https (http only on loopback)',
      {
        detail: { key: 'operators.oidc.issuer' },
      },
    );
  return {
    oidc: {
      issuer: oidc.issuer,
      clientId: oidc.clientId,
      clientSecret: secret(oidc.clientSecret, env, 'operators.oidc.clientSecret'),
      scopes: [...new Set(['openid', ...(oidc.scopes ?? ['email', 'profile'])])],
      nameClaim: oidc.nameClaim ?? 'email',
      rolesClaim: oidc.rolesClaim ?? 'groups',
      roles: oidc.roles,
      redirectUrl: `${publicUrl}/api/session/oidc/callback`,
    },
  };
}
