// A stand-in for tool pinning (src/mcp/tool-pins.ts, owned by the tool-pinning work) with the
// interface the gateway codes against: every tool is approved unless a test marks it otherwise.
import type { PinnedToolDefinition, PinReviewer, PinStatus } from '../../src/mcp/index.js';

export class StandInPins implements PinReviewer {
  /** `server/tool` → a status other than approved. */
  readonly statuses = new Map<string, PinStatus>();
  /** Every definition reviewed, last first. */
  readonly reviewed: PinnedToolDefinition[] = [];
  failing = false;

  async review(definitions: readonly PinnedToolDefinition[]): Promise<Map<string, PinStatus>> {
    if (this.failing) throw new Error('pin store unavailable');
    this.reviewed.unshift(...definitions);
    return new Map(
      definitions.map((d) => {
        const tool = `${d.server}/${d.name}`;
        return [tool, this.statuses.get(tool) ?? 'approved'] as const;
      }),
    );
  }
}
