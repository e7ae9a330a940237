// Public face of mcp/ (CONVENTIONS 1): the MCP gateway, its HTTP mounting, and what it needs from
// tool pinning.
export { mountMcpEndpoint } from './http-endpoint.js';
export type { McpEndpointOptions } from './http-endpoint.js';
export { MCP_PATH, McpGateway } from './mcp-gateway.js';
export type { McpGatewayOptions } from './mcp-gateway.js';
export type { PinnedToolDefinition, PinReviewer, PinStatus } from './pin-review.js';
export { WIRE_CODES } from './wire-errors.js';
export { ToolPins } from './tool-pins.js';
export type { ToolDefinition } from './tool-pins.js';
