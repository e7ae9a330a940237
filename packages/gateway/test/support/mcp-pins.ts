// Tool pinning for the MCP gateway tests: the real ToolPins on the world's store, with trust on
// first use (what `mcp.autoApproveTools` gives), and a switch that makes every review fail, to
// show that the gateway then lists and calls nothing (fault injection).
import type {
  PinnedToolDefinition,
  PinReviewer,
  PinStatus,
  ToolPins,
} from '../../src/mcp/index.js';

export class TestPins implements PinReviewer {
  failing = false;

  constructor(readonly pins: ToolPins) {}

  async review(definitions: readonly PinnedToolDefinition[]): Promise<Map<string, PinStatus>> {
    if (this.failing) throw new Error('pin store unavailable');
    return this.pins.review(definitions);
  }
}
