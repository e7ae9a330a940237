// Shapes the governance API returns (see docs/governance.md).
export interface ActivityItem {
  readonly index: number;
  readonly time: string;
  readonly type: string;
  readonly agent?: string;
  readonly actor?: string;
  readonly decision?: string;
  readonly action?: string;
  readonly tool?: string;
  readonly reasons?: readonly string[];
  readonly severity?: string;
  readonly labels?: readonly string[];
  readonly grant?: string;
  readonly costNano?: number;
}

export interface PendingGrant {
  readonly id: string;
  readonly agent: string;
  readonly kind: string;
  readonly task: string;
  readonly purpose: string;
  readonly allow: unknown;
  readonly requestedBy: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export interface Overview {
  readonly agents: {
    readonly total: number;
    readonly byStatus: Record<string, number>;
    readonly drifting: number;
  };
  readonly activity: readonly ActivityItem[];
  readonly denials: readonly ActivityItem[];
  readonly perMinute: ReadonlyArray<{ minute: string; events: number; denials: number }>;
  readonly topCosts: ReadonlyArray<{ agent: string; name: string; costNano: number }>;
  readonly approvals: { readonly pending: readonly PendingGrant[] };
}

export interface FleetAgent {
  readonly id: string;
  readonly name: string;
  readonly owner: string;
  readonly team: string;
  readonly status: string;
  readonly mission?: { id: string; name: string };
  readonly profile?: { version: number; model: string; promptDigest: string };
  readonly drift?: { version: number; model: string; since: string };
  readonly grants: { active: number; pending: number };
  readonly activity?: { lastSeen: string; allowed: number; denied: number };
}
