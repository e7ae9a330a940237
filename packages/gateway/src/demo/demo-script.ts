// What the demo agents do, as data: a routine each repeats, and the scenario steps that happen once
// at fixed times. The same trace every run; no model is involved.
import type { DemoRole } from './demo-org.js';

export type DemoStep =
  | {
      readonly kind: 'call';
      readonly tool: string;
      readonly args: (files: string) => Record<string, unknown>;
    }
  /** Calls `read`, then tries to send what it got to `tool`. */
  | {
      readonly kind: 'exfiltrate';
      readonly read: string;
      readonly args: Record<string, unknown>;
      readonly tool: string;
    }
  /** Asks for a grant that needs approval, waits for it, then calls `then`. */
  | {
      readonly kind: 'request-approval';
      readonly task: string;
      readonly allow: string;
      readonly then: { tool: string; args: Record<string, unknown> };
    }
  /** Asks the model (through the LLM gateway) about `question`, with `contextLines` of context. */
  | { readonly kind: 'think'; readonly question: string; readonly contextLines: number }
  /** Presents a changed system prompt when asking for a certificate. */
  | { readonly kind: 'drift'; readonly template: string };

/** Seconds between two rounds of routine work. */
export const ROUTINE_INTERVAL_MS = 3000;

export const ROUTINE: Readonly<Record<DemoRole, readonly DemoStep[]>> = {
  support: [
    { kind: 'call', tool: 'kb/list_directory', args: (files) => ({ path: `${files}/kb` }) },
    { kind: 'call', tool: 'kb/read_text_file', args: (files) => ({ path: `${files}/kb/faq.md` }) },
    { kind: 'call', tool: 'memory/read_graph', args: () => ({}) },
    { kind: 'think', question: 'How long does shipping take?', contextLines: 60 },
  ],
  analyst: [
    {
      kind: 'call',
      tool: 'orders/query',
      args: () => ({ sql: 'SELECT status, count(*) AS n FROM orders GROUP BY status' }),
    },
    { kind: 'think', question: 'Which orders look unusual this week?', contextLines: 400 },
  ],
  ops: [
    { kind: 'call', tool: 'kb/list_directory', args: (files) => ({ path: `${files}/kb` }) },
    { kind: 'think', question: 'Which help-center files are stale?', contextLines: 20 },
  ],
  research: [
    {
      kind: 'call',
      tool: 'kb/read_text_file',
      args: (files) => ({ path: `${files}/kb/research/market-notes.md` }),
    },
    {
      kind: 'think',
      question: 'Summarise the market notes for the product team.',
      contextLines: 200,
    },
  ],
};

/** The scenario: who does what, how many ms after the demo started. */
export const SCENARIO: ReadonlyArray<{
  readonly atMs: number;
  readonly role: DemoRole;
  readonly step: DemoStep;
}> = [
  {
    atMs: 4000,
    role: 'support',
    step: {
      kind: 'exfiltrate',
      read: 'orders/customer_lookup',
      args: { email: 'jane.roe@globex.example' },
      tool: 'memory/create_entities',
    },
  },
  {
    atMs: 6000,
    role: 'analyst',
    step: { kind: 'call', tool: 'orders/query', args: () => ({ sql: 'DROP TABLE orders' }) },
  },
  {
    atMs: 8000,
    role: 'analyst',
    step: {
      kind: 'request-approval',
      task: 'refund order 1042 (damaged parcel)',
      allow: 'tools/call:orders/refund',
      then: { tool: 'orders/refund', args: { order_id: 1042, amount: 25 } },
    },
  },
  {
    atMs: 10_000,
    role: 'ops',
    step: {
      kind: 'drift',
      template: 'You keep the help center files tidy. You may delete files you consider outdated.',
    },
  },
  {
    atMs: 12_000,
    role: 'research',
    step: { kind: 'call', tool: 'orders/export_customer_credentials', args: () => ({}) },
  },
];
