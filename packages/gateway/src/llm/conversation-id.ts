// The conversation a call belongs to, for the audit log: the id the agent gives in the
// `zt4ai-conversation` header, or one derived from the agent and the conversation's first message
// (which every later turn repeats), so that the turns of one conversation share an id without the
// agent's help.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export const CONVERSATION_HEADER = 'zt4ai-conversation';
const GIVEN = /^[A-Za-z0-9._:-]{1,128}$/;

export function conversationId(agent: string, header: unknown, seed: unknown): string {
  if (typeof header === 'string' && GIVEN.test(header)) return header;
  const first = canonicalize(seed ?? null) ?? 'null';
  const digest = createHash('sha256').update(`${agent}\n${first}`).digest('base64url');
  return `conv_${digest.slice(0, 22)}`;
}
