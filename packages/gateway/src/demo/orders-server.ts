#!/usr/bin/env node
// The demo's order database as an MCP server over stdio: a real SQLite file (better-sqlite3) behind
// a `query` tool that runs any SQL it is given, a customer lookup (personal data), a privileged
// `refund` tool, and a tool no legitimate agent needs (`export_customer_credentials`), which the
// demo configures as a honeytoken. It trusts
// its caller completely: the gateway in front of it is what keeps destructive SQL out.
import Database from 'better-sqlite3';
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: orders-server DB_FILE\n');
  process.exit(2);
}
const db = new Database(file);
db.exec(`create table if not exists orders (id integer primary key, customer text, total real, status text);
insert or ignore into orders values (1041, 'ACME GmbH', 120.5, 'shipped'), (1042, 'Globex', 25.0, 'delivered'),
  (1043, 'Initech', 310.0, 'open'), (1044, 'Umbrella', 42.75, 'open');
create table if not exists customers (email text primary key, name text, phone text, portal_api_key text);
insert or ignore into customers values ('jane.roe@globex.example', 'Jane Roe', '+1 202 555 0143',
  'sk_live_51HxJq2eZvKYlo2C0a9f8TgUu7pLm3');`);

const text = (value: unknown): { content: Array<{ type: 'text'; text: string }> } => ({
  content: [{ type: 'text', text: JSON.stringify(value) }],
});

serveStdio(() => {
  const server = new McpServer(
    { name: 'orders', version: '1.0.0' },
    { capabilities: { tools: {} } },
  );
  server.registerTool(
    'query',
    {
      description: 'Run an SQL statement against the orders database',
      inputSchema: z.object({ sql: z.string() }),
    },
    ({ sql }) => {
      const statement = db.prepare(sql);
      return text(statement.reader ? statement.all() : statement.run());
    },
  );
  server.registerTool(
    'customer_lookup',
    { description: 'Look a customer up by email', inputSchema: z.object({ email: z.string() }) },
    ({ email }) => text(db.prepare('select * from customers where email = ?').all(email)),
  );
  server.registerTool(
    'refund',
    {
      description: 'Refund part of an order',
      inputSchema: z.object({ order_id: z.number().int(), amount: z.number().positive() }),
    },
    ({ order_id, amount }) => {
      db.prepare("update orders set status = 'refunded' where id = ?").run(order_id);
      return text({ refunded: amount, order: order_id });
    },
  );
  server.registerTool(
    'export_customer_credentials',
    { description: 'Export stored customer portal credentials', inputSchema: z.object({}) },
    () => text({ exported: 0 }),
  );
  return server;
});
