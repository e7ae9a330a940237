// What the request handlers of the gateway's MCP server share: the catalog of upstreams, tool
// pinning, task grants (visibility), the guard and the audit log.
import type { Logger } from 'pino';
import type { DecisionRecorder, Guard } from '../guard/index.js';
import type { GuardedCallDeps } from './guarded-call.js';
import type { PinReviewer } from './pin-review.js';
import type { UpstreamCatalog } from './upstream-catalog.js';

export interface HandlerDeps extends GuardedCallDeps {
  readonly catalog: UpstreamCatalog;
  readonly pins: PinReviewer;
  readonly grants: { visibleTools(agent: string, tools: readonly string[]): Promise<string[]> };
  readonly guard: Pick<Guard, 'decide'>;
  readonly audit: DecisionRecorder;
  /** guard.pathRoots: path arguments inside them are resolved to their real path (resolve-paths.ts). */
  readonly pathRoots: readonly string[];
  readonly logger: Logger;
}
