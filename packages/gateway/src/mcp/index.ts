// Public face of mcp/ (CONVENTIONS 1): the MCP gateway, its HTTP mounting, what it needs from
// tool pinning, and its local mode (`zt4ai mcp-proxy`).
export { mountMcpEndpoint } from './http-endpoint.js';
export type { McpEndpointOptions } from './http-endpoint.js';
export { injectFetch } from './local-proxy-fetch.js';
export { parseIdentityFile } from './local-proxy-identity.js';
export type { LocalIdentity } from './local-proxy-identity.js';
export { PROXY_CODES } from './local-proxy-server.js';
export { startLocalProxy } from './local-proxy.js';
export type { LocalProxyOptions, RunningLocalProxy } from './local-proxy.js';
export { MCP_PATH, McpGateway } from './mcp-gateway.js';
export type { McpGatewayOptions } from './mcp-gateway.js';
export type { PinnedToolDefinition, PinReviewer, PinStatus } from './pin-review.js';
export { WIRE_CODES } from './wire-errors.js';
export { ToolPins } from './tool-pins.js';
export type { ToolDefinition } from './tool-pins.js';
