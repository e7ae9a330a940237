// Search of the audit log, newest first: by event type (prefix), agent and text, scanning back from
// `before` a bounded number of entries per request; the answer says where to continue.
import type { AuditLog } from '../audit/index.js';
import { recordedFromEntry } from '../audit/index.js';
import { summarize, type ActivityItem } from './activity-summary.js';

const PAGE = 1000;
/** Entries one request looks at, at most. */
const SCAN_LIMIT = 20_000;

export interface AuditSearch {
  readonly type?: string | undefined;
  readonly agent?: string | undefined;
  readonly text?: string | undefined;
  readonly before?: number | undefined;
  readonly limit: number;
}

export async function searchAudit(
  audit: AuditLog,
  search: AuditSearch,
): Promise<{ results: ActivityItem[]; next: number | null; scanned: number }> {
  const size = await audit.size();
  let end = Math.min(search.before ?? size, size);
  const results: ActivityItem[] = [];
  let scanned = 0;
  while (end > 0 && results.length < search.limit && scanned < SCAN_LIMIT) {
    const from = Math.max(0, end - PAGE);
    const page = await audit.entries(from, end - from);
    for (let i = page.length - 1; i >= 0 && results.length < search.limit; i -= 1) {
      const entry = page[i];
      if (entry === undefined) continue;
      scanned += 1;
      end = entry.index;
      if (search.text !== undefined && !entry.entry.includes(search.text)) continue;
      const recorded = recordedFromEntry(entry.index, entry.entry);
      if (recorded === undefined) continue;
      const item = summarize(recorded);
      if (search.type !== undefined && !item.type.startsWith(search.type)) continue;
      if (search.agent !== undefined && item.agent !== search.agent) continue;
      results.push(item);
    }
    if (page.length === 0) break;
  }
  return { results, next: end > 0 ? end : null, scanned };
}
