// Strict JSON for JOSE headers and claims (RFC 7515 §5.2 lets a parser reject duplicate member names; we must, DESIGN §8).
import { parse } from '@humanwhocodes/momoa';
import type { ValueNode } from '@humanwhocodes/momoa';
import { VerifyError } from '../errors.js';

/** A JSON object as parsed from a token: own data properties only, `__proto__` a plain key. */
export type JsonObject = { readonly [member: string]: unknown };

/** Deepest nesting accepted; a certificate nests 2 levels, so this only stops pathological input. */
const MAX_DEPTH = 16;

interface TextDecoderLike {
  decode(bytes: Uint8Array): string;
}
type TextDecoderCtor = new (
  label: string,
  options: { fatal: boolean; ignoreBOM: boolean },
) => TextDecoderLike;

// `fatal` refuses invalid UTF-8; `ignoreBOM` keeps a leading BOM so the JSON parser rejects it.
const decoder = new (globalThis as unknown as { TextDecoder: TextDecoderCtor }).TextDecoder(
  'utf-8',
  { fatal: true, ignoreBOM: true },
);

function toValue(node: ValueNode, depth: number): unknown {
  switch (node.type) {
    case 'String':
    case 'Number':
    case 'Boolean':
      return node.value;
    case 'Null':
      return null;
    case 'Array': {
      if (depth >= MAX_DEPTH) throw new VerifyError('token-malformed');
      return node.elements.map((e) => toValue(e.value, depth + 1));
    }
    case 'Object': {
      if (depth >= MAX_DEPTH) throw new VerifyError('token-malformed');
      const out: Record<string, unknown> = {};
      for (const member of node.members) {
        if (member.name.type !== 'String') throw new VerifyError('token-malformed');
        const name = member.name.value;
        if (Object.hasOwn(out, name)) throw new VerifyError('duplicate-json-key');
        // defineProperty, not assignment: a member named "__proto__" must stay a plain key.
        Object.defineProperty(out, name, {
          value: toValue(member.value, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    default:
      // NaN, Infinity and identifiers exist only in JSON5 mode.
      throw new VerifyError('token-malformed');
  }
}

/**
 * Parses UTF-8 bytes as one JSON object (RFC 8259). Throws VerifyError `token-malformed` on
 * invalid UTF-8, invalid JSON, excessive nesting or a non-object, and `duplicate-json-key` when
 * any object in it repeats a member name.
 */
export function parseJsonObject(bytes: Uint8Array): JsonObject {
  let text: string;
  let body: ValueNode;
  try {
    text = decoder.decode(bytes);
    body = parse(text, { mode: 'json' }).body;
  } catch {
    // No cause: parser messages quote the input, and messages never carry token content.
    throw new VerifyError('token-malformed');
  }
  if (body.type !== 'Object') throw new VerifyError('token-malformed');
  return toValue(body, 0) as JsonObject;
}

/** True for a parsed JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
