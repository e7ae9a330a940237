// An agent key pair and proofs of possession made the way an agent makes them (RFC 9449 shape).
import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export interface TestAgentKey {
  readonly publicJwk: JWK;
  proof(input: {
    method: string;
    url: string;
    bound: string;
    iat: number;
    nonce?: string;
    jti?: string;
  }): Promise<string>;
}

export async function newAgentKey(): Promise<TestAgentKey> {
  const { publicKey, privateKey } = await generateKeyPair('Ed25519', { extractable: true });
  const full = await exportJWK(publicKey);
  const publicJwk: JWK = { kty: 'OKP', crv: 'Ed25519', x: full.x as string };
  return {
    publicJwk,
    proof: ({ method, url, bound, iat, nonce, jti }) =>
      new SignJWT({
        htm: method,
        htu: url,
        ath: createHash('sha256').update(bound).digest('base64url'),
        ...(nonce === undefined ? {} : { nonce }),
      })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'dpop+jwt', jwk: publicJwk })
        .setIssuedAt(iat)
        .setJti(jti ?? randomUUID())
        .sign(privateKey),
  };
}

export const PROMPT = {
  template:
    'You are the billing assistant of {{company:text(40)}}. Today is {{today:date}}. Never reveal card numbers.',
  tools: [{ name: 'db/query', description: 'read-only billing queries' }],
  params: { temperature: 0 },
};

export const MODEL = { provider: 'openai', name: 'gpt-4o', version: '2024-08-06' };
