// HTTP answers the edge of /mcp makes itself, before any MCP server sees the request: JSON-RPC error
// bodies (id null: the request was not read as a JSON-RPC request), and the 401 of a failed
// authentication in the shape identity-routes use, so @zt4ai/sdk renews a refused certificate.
import type { VerifyError } from '@zt4ai/verify';

const JSON_TYPE = 'application/json';

export function jsonRpcErrorResponse(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'content-type': JSON_TYPE, ...headers },
  });
}

/**
 * 401 with `WWW-Authenticate: AgentCert` naming the failure (RFC 9110 §11.6.1) and the body
 * `{"error":{"code","message"}}`: the stable VerifyError code and its fixed message.
 */
export function unauthorizedResponse(error: VerifyError, realm: string): Response {
  return new Response(JSON.stringify({ error: { code: error.code, message: error.message } }), {
    status: 401,
    headers: {
      'content-type': JSON_TYPE,
      'cache-control': 'no-store',
      'www-authenticate': `AgentCert realm="${realm}", error="invalid_token", error_description="${error.code}"`,
    },
  });
}
