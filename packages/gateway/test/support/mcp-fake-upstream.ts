// A misbehaving stdio MCP server for the failure tests, as the source of a `node -e` script: it
// speaks just enough JSON-RPC (initialize, tools/list) and answers tools/call by the tool's name:
// `ok` answers, `crash` exits, `hang` never answers, `garbage` returns a result of the wrong shape,
// `noise` writes a line that is not JSON. Each start appends a line to the file named by $STARTS.
export const FAKE_UPSTREAM_SOURCE = String.raw`
const fs = require('node:fs');
if (process.env.STARTS) fs.appendFileSync(process.env.STARTS, 'start\n');
const send = (m) => process.stdout.write(JSON.stringify(m) + '\n');
const tools = ['ok', 'crash', 'hang', 'garbage', 'noise'].map((name) => ({
  name, description: 'fake ' + name, inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
}));
let buffer = '';
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let at;
  while ((at = buffer.indexOf('\n')) >= 0) {
    const line = buffer.slice(0, at);
    buffer = buffer.slice(at + 1);
    if (line.trim() !== '') handle(JSON.parse(line));
  }
});
function handle(m) {
  if (m.id === undefined) return;
  if (m.method === 'initialize')
    return send({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params.protocolVersion,
      capabilities: { tools: {} }, serverInfo: { name: 'fake', version: '1' } } });
  if (m.method === 'tools/list') return send({ jsonrpc: '2.0', id: m.id, result: { tools } });
  if (m.method !== 'tools/call')
    return send({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'Method not found' } });
  const name = m.params.name;
  if (name === 'crash') process.exit(3);
  if (name === 'hang') return;
  if (name === 'garbage') return send({ jsonrpc: '2.0', id: m.id, result: { content: 'not a list' } });
  if (name === 'noise') return process.stdout.write('this is not JSON-RPC\n');
  send({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text: 'ok: ' + (m.params.arguments?.text ?? '') }] } });
}
`;
