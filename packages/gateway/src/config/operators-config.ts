// The `operators` section of zt4ai.yaml (docs/governance.md): how long sessions and login links
// last, and single sign-on through the organization's OpenID Connect provider, roles mapped from a
// claim. Raw schema, defaults and resolution in one place.
import { z } from 'zod';
import { ZtError } from '../errors.js';
import * as defaults from './defaults.js';
import { type Secret, secret, secretValue } from './secret.js';

const ROLE = z.enum(['admin', 'approver', 'auditor', 'viewer']);
const CLAIM = z.string().regex(/^[A-Za-z0-9_:.\-/]{1,128}$/, 'must be a claim name');
const SCOPE = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/, 'must be an OAuth scope');
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export const rawOperatorsSchema = z.strictObject({
  /** How long an operator session lasts after login: 5 minutes to 7 days. */
  sessionTtlSeconds: z
    .number()
    .int()
    .min(300)
    .max(7 * 86_400)
    .optional(),
  /** How long a login link can be redeemed: 1 minute to 7 days. */
  loginLinkTtlSeconds: z
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .optional(),
  /** false: operators log in only through single sign-on (which must then be configured). */
  loginLinks: z.boolean().optional(),
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
      /**
       * The person must have authenticated at the provider within this many seconds (OpenID
       * Connect max_age; checked against the ID token's auth_time). Default: any age.
       */
      maxAgeSeconds: z.number().int().min(0).max(86_400).optional(),
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
  readonly maxAgeSeconds: number | undefined;
  /** `<identity.issuer>/api/session/oidc/callback`: register it at the provider. */
  readonly redirectUrl: string;
}

export interface OperatorsConfig {
  readonly sessionTtlSeconds: number;
  readonly loginLinkTtlSeconds: number;
  /** Whether login links are issued and redeemed (false: single sign-on only). */
  readonly loginLinks: boolean;
  /** Single sign-on for operators; undefined: login links only. */
  readonly oidc: OidcConfig | undefined;
}

export function resolveOperatorsConfig(
  raw: z.infer<typeof rawOperatorsSchema> | undefined,
  env: Readonly<Record<string, string | undefined>>,
  publicUrl: string,
): OperatorsConfig {
  const lifetimes = {
    sessionTtlSeconds: raw?.sessionTtlSeconds ?? defaults.DEFAULT_OPERATOR_SESSION_TTL_SECONDS,
    loginLinkTtlSeconds: raw?.loginLinkTtlSeconds ?? defaults.DEFAULT_LOGIN_LINK_TTL_SECONDS,
    loginLinks: raw?.loginLinks ?? true,
  };
  const oidc = raw?.oidc;
  if (oidc === undefined && !lifetimes.loginLinks)
    throw new ZtError(
      'config-invalid',
      'operators.loginLinks: false needs operators.oidc: nobody could log in',
      { detail: { key: 'operators.loginLinks' } },
    );
  if (oidc === undefined) return { ...lifetimes, oidc: undefined };
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
    ...lifetimes,
    oidc: {
      issuer: oidc.issuer,
      clientId: oidc.clientId,
      clientSecret: secret(oidc.clientSecret, env, 'operators.oidc.clientSecret'),
      scopes: [...new Set(['openid', ...(oidc.scopes ?? ['email', 'profile'])])],
      nameClaim: oidc.nameClaim ?? 'email',
      rolesClaim: oidc.rolesClaim ?? 'groups',
      roles: oidc.roles,
      maxAgeSeconds: oidc.maxAgeSeconds,
      redirectUrl: `${publicUrl}/api/session/oidc/callback`,
    },
  };
}
