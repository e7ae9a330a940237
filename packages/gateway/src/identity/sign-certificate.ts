// Builds and signs an agentic certificate (docs/identity.md): compact JWS, EdDSA, typ
// agent-cert+jwt, with the agent's approved profile bound into its claims.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Agent, Profile } from './agent-registry.js';
import type { IssuerSigningKey } from './issuer-keys.js';

export interface CertificateRequest {
  readonly agent: Agent;
  readonly profile: Profile;
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly trustDomain: string;
  readonly ttlSeconds: number;
  readonly now: Date;
  /** Delegation: on whose behalf the agent acts (RFC 8693 `act`). */
  readonly actingFor?: string;
}

export interface SignedCertificate {
  readonly token: string;
  readonly jti: string;
  readonly kid: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

export async function signCertificate(
  request: CertificateRequest,
  key: IssuerSigningKey,
): Promise<SignedCertificate> {
  const { agent, profile } = request;
  const iat = Math.floor(request.now.getTime() / 1000);
  const exp = iat + request.ttlSeconds;
  const jti = randomUUID();
  const claims = {
    cnf: { jkt: agent.jkt },
    agent: {
      id: agent.id,
      name: agent.name,
      version: profile.version,
      owner: agent.owner,
      epoch: agent.epoch,
    },
    model: profile.model,
    prompt: { digest: profile.promptDigest },
    mission: { id: profile.mission.id, digest: profile.mission.digest },
    ...(request.actingFor === undefined ? {} : { act: { sub: request.actingFor } }),
  };
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', typ: 'agent-cert+jwt', kid: key.kid })
    .setIssuer(request.issuer)
    .setSubject(`spiffe://${request.trustDomain}/agent/${agent.id}`)
    .setAudience(
      request.audience.length === 1 ? (request.audience[0] as string) : [...request.audience],
    )
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .setJti(jti)
    .sign(key.privateKey);
  return { token, jti, kid: key.kid, issuedAt: iat, expiresAt: exp };
}
