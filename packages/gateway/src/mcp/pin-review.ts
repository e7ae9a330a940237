// The part of tool pinning the gateway depends on: `ToolPins.review` (tool-pins.ts). Declared
// structurally so that the gateway takes any object of that shape as an option (tests inject faults
// through it); a ToolPins instance is one. Only `approved` tools are listed or called.
import type { ToolDefinition } from './tool-digest.js';

export type PinStatus = 'approved' | 'pending' | 'changed' | 'blocked';

/** A tool as an upstream offers it (tools/list), with the upstream it came from. */
export type PinnedToolDefinition = ToolDefinition;

export interface PinReviewer {
  /** Records/compares the definitions; returns each tool's status keyed by `server/tool`. */
  review(definitions: readonly PinnedToolDefinition[]): Promise<Map<string, PinStatus>>;
}

/**
 * The statuses of `definitions`, failing closed: a reviewer that throws, or leaves a tool out,
 * makes that tool not approved.
 */
export async function approvedTools(
  pins: PinReviewer,
  definitions: readonly PinnedToolDefinition[],
): Promise<{ approved: Set<string>; failed: boolean }> {
  if (definitions.length === 0) return { approved: new Set(), failed: false };
  try {
    const statuses = await pins.review(definitions);
    const approved = new Set<string>();
    for (const [tool, status] of statuses) if (status === 'approved') approved.add(tool);
    return { approved, failed: false };
  } catch {
    return { approved: new Set(), failed: true };
  }
}
