// Reads the body of a POST to /mcp as exactly one JSON-RPC message (DESIGN §8: untrusted input is
// parsed strictly). A member repeated with another value is refused (the header/body checks and
// the guard must see the same `name` the upstream would), and so is a batch: protocol revisions
// since 2025-06-18 have none, and one proof must not stand for several guarded calls.
import { parse } from 'lossless-json';

export type BodyParse =
  | { readonly ok: true; readonly message: Record<string, unknown> }
  | { readonly ok: false; readonly code: number; readonly message: string };

const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;

export function parseJsonRpcBody(text: string): BodyParse {
  let value: unknown;
  try {
    value = parse(text, null, Number);
  } catch {
    return {
      ok: false,
      code: PARSE_ERROR,
      message: 'Parse error: the body is not valid JSON, or repeats a member',
    };
  }
  if (Array.isArray(value))
    return {
      ok: false,
      code: INVALID_REQUEST,
      message: 'Invalid Request: JSON-RPC batches are not supported',
    };
  if (typeof value !== 'object' || value === null)
    return {
      ok: false,
      code: INVALID_REQUEST,
      message: 'Invalid Request: the body must be one JSON-RPC message',
    };
  return { ok: true, message: value as Record<string, unknown> };
}
