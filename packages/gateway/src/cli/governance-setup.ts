// What `zt4ai up` adds to the HTTP server for the governance center: operator access with the first
// admin's login link, and the policy catalog over the policies in force.
import { OperatorAccess } from '../access/index.js';
import type { PolicyCatalog } from '../api/index.js';
import type { Config } from '../config/index.js';
import type { ControlPlane } from '../server.js';
import { explainInput } from './policy-evaluation.js';

/** Operator access over the control plane's store and operators. */
export function operatorAccess(plane: ControlPlane): OperatorAccess {
  return new OperatorAccess({
    store: plane.store,
    operators: plane.grants.operators,
    audit: plane.audit,
    sessionTtlSeconds: plane.config.operators.sessionTtlSeconds,
    loginLinkTtlSeconds: plane.config.operators.loginLinkTtlSeconds,
    loginLinks: plane.config.operators.loginLinks,
  });
}

/** The policies the guard enforces, and a dry run of an input against the same bundle. */
export function policyCatalog(plane: ControlPlane, config: Config): PolicyCatalog {
  return {
    list: async () =>
      (await plane.guard()).policies.set.policies.map((p) => ({
        id: p.id,
        effect: p.effect,
        annotations: p.annotations,
        text: p.text,
      })),
    test: (input, assumeGranted) =>
      explainInput(config, config.policy.bundle ?? 'baseline', input, assumeGranted),
  };
}

/** The console lines a first start prints: where the dashboard is and the admin's one-time link. */
export function loginBanner(
  dashboardUrl: string,
  link: { url: string; expiresAt: string } | undefined,
): string {
  const lines = [`zt4ai: governance center at ${dashboardUrl}/`];
  if (link !== undefined)
    lines.push(
      `zt4ai: first start: operator "admin" created; log in once with this link (valid until ${link.expiresAt}):`,
      `zt4ai:   ${link.url}`,
    );
  else lines.push('zt4ai: log in with a link from `zt4ai operator login-link NAME`');
  return `${lines.join('\n')}\n`;
}
