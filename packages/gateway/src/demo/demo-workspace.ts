// The demo's own directory: a fresh data directory, the files its MCP servers serve, and the
// zt4ai.yaml that puts the gateway in front of them. Recreated on every start; only a directory the
// demo made itself (it holds MARKER) is ever removed.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZtError } from '../errors.js';

const MARKER = '.zt4ai-demo';
/** The model the demo agents call through the LLM gateway (grant resource `PROVIDER/NAME`). */
export const DEMO_MODEL_RESOURCE = 'openai/gpt-4o-mini';

export interface DemoWorkspace {
  readonly dir: string;
  readonly configFile: string;
  readonly dataDir: string;
  readonly issuer: string;
}

/** Prepares `<dataDir>/demo` for a demo served at `http://127.0.0.1:<port>`. */
export function prepareDemoWorkspace(
  parentDataDir: string,
  port: number,
  modelBaseUrl: string,
): DemoWorkspace {
  const dir = join(parentDataDir, 'demo');
  if (existsSync(dir)) {
    if (!existsSync(join(dir, MARKER)))
      throw new ZtError(
        'invalid-argument',
        `${dir} exists and was not made by the demo; remove it or pick another --data-dir`,
      );
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, MARKER), 'made by zt4ai up --demo; recreated on every demo start\n');
  const files = writeFiles(join(dir, 'files'));
  const issuer = `http://127.0.0.1:${port}`;
  const configFile = join(dir, 'zt4ai.yaml');
  // JSON is YAML.
  writeFileSync(configFile, JSON.stringify(demoConfig(dir, files, issuer, modelBaseUrl), null, 2));
  return { dir, configFile, dataDir: join(dir, 'data'), issuer };
}

function demoConfig(
  dir: string,
  files: string,
  issuer: string,
  modelBaseUrl: string,
): Record<string, unknown> {
  const stdio = (name: string, args: string[], env: Record<string, string> = {}) => ({
    name,
    transport: 'stdio',
    command: process.execPath,
    args,
    env,
  });
  return {
    identity: { issuer, audience: [issuer] },
    guard: { pathRoots: [files] },
    tools: [
      { name: 'kb/read_text_file', sink: 'internal' },
      { name: 'kb/list_directory', sink: 'internal' },
      { name: 'orders/customer_lookup', sink: 'internal', resultLabels: ['confidential', 'pii'] },
      { name: 'memory/read_graph', sink: 'internal' },
      { name: 'memory/create_entities' },
      { name: 'orders/query', argKinds: { sql: 'sql' }, sqlDialect: 'sqlite', sink: 'internal' },
      { name: 'orders/refund', privileged: true, sink: 'internal' },
      { name: 'orders/export_customer_credentials', honeytoken: true },
      { name: DEMO_MODEL_RESOURCE },
    ],
    llm: {
      providers: [
        {
          id: 'openai',
          kind: 'openai-compatible',
          baseUrl: modelBaseUrl,
          apiKey: 'demo-local-model',
        },
      ],
      prices: [
        {
          provider: 'openai',
          model: 'gpt-4o-mini-2024-07-18',
          inputPerMTok: 0.15,
          outputPerMTok: 0.6,
        },
      ],
      budgets: [{ scope: 'team', period: 'day', limitUsd: 5 }],
    },
    mcp: {
      autoApproveTools: true,
      upstreams: [
        stdio('kb', [
          referenceServer('@modelcontextprotocol/server-filesystem'),
          join(files, 'kb'),
        ]),
        stdio('memory', [referenceServer('@modelcontextprotocol/server-memory')], {
          MEMORY_FILE_PATH: join(dir, 'memory.jsonl'),
        }),
        stdio('orders', [ordersServer(), join(dir, 'orders.db')]),
      ],
    },
  };
}

/** The entry script of an MCP reference server installed from npm. */
function referenceServer(pkg: string): string {
  try {
    const manifest = createRequire(import.meta.url).resolve(`${pkg}/package.json`);
    const { bin } = createRequire(import.meta.url)(manifest) as {
      bin: string | Record<string, string>;
    };
    const entry = typeof bin === 'string' ? bin : Object.values(bin)[0];
    if (entry === undefined) throw new Error('no bin');
    return join(dirname(manifest), entry);
  } catch (cause) {
    throw new ZtError('invalid-argument', `the demo needs ${pkg}; run npm ci in the repository`, {
      cause,
    });
  }
}

function ordersServer(): string {
  return fileURLToPath(new URL('./orders-server.js', import.meta.url));
}

function writeFiles(root: string): string {
  const put = (path: string, text: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  put(
    'kb/faq.md',
    '# FAQ\n\nRefunds are possible within 30 days of delivery.\nShipping takes 2-4 days.\n',
  );
  put(
    'kb/returns.md',
    '# Returns\n\nPrint the label from the customer portal and drop the parcel at any post office.\n',
  );
  put(
    'kb/research/market-notes.md',
    '# Market notes\n\nDemand for the Pro plan grew 12% this quarter.\n',
  );
  return root;
}
