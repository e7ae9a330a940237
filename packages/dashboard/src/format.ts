// Display helpers: times, money (nano-dollars), short ids.
export function timeOf(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString();
}

export function dollars(nano: number): string {
  return `$${(nano / 1e9).toFixed(nano < 1e7 ? 4 : 2)}`;
}

export function short(id: string, length = 8): string {
  return id.length <= length ? id : `${id.slice(0, length)}…`;
}

/** A one-line description of an activity item: the tool it concerns first, then what happened. */
export function describe(item: { type: string; action?: string; tool?: string }): string {
  const kind = SHORT_TYPES[item.type] ?? item.type;
  return item.tool === undefined ? kind : `${item.tool} · ${kind}`;
}

const SHORT_TYPES: Readonly<Record<string, string>> = {
  'guard.decision': 'decision',
  'mcp.call.completed': 'result',
  'mcp.call.rejected': 'rejected',
  'guard.screened': 'screened',
};

/** Grant permissions as `tools/call kb/*` lines. */
export function permissions(allow: unknown): string[] {
  if (!Array.isArray(allow)) return [];
  return allow.map((p: { action?: string; resource?: string }) =>
    `${p.action ?? ''} ${p.resource ?? ''}`.trim(),
  );
}
