// The demo's language model: a local OpenAI-compatible endpoint (`POST /v1/chat/completions`) that
// answers deterministically and reports token usage, so the LLM gateway's binding, audit, usage and
// cost accounting run for real without a paid API. It counts four characters as a token.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoModel {
  /** `http://127.0.0.1:PORT/v1` */
  readonly baseUrl: string;
  close(): Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;

export async function startDemoModel(): Promise<DemoModel> {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    request.on('end', () => {
      const reply = (status: number, body: unknown): void => {
        response
          .writeHead(status, { 'content-type': 'application/json' })
          .end(JSON.stringify(body));
      };
      if (request.method !== 'POST' || request.url !== '/v1/chat/completions' || size > MAX_BODY)
        return reply(404, { error: { message: 'not found', type: 'invalid_request_error' } });
      try {
        reply(200, complete(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequest));
      } catch {
        reply(400, { error: { message: 'invalid JSON', type: 'invalid_request_error' } });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref(); // never what keeps the process alive
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface ChatRequest {
  readonly model?: string;
  readonly messages?: ReadonlyArray<{ role?: string; content?: unknown }>;
}

function complete(request: ChatRequest) {
  const messages = request.messages ?? [];
  const last = messages.at(-1)?.content;
  const question = typeof last === 'string' ? (last.split('\n')[0] ?? '') : '';
  const answer = `Summary of "${question.slice(0, 80)}": nothing unusual; no action needed.`;
  const promptTokens = Math.ceil(JSON.stringify(messages).length / 4);
  const completionTokens = Math.ceil(answer.length / 4);
  return {
    id: `chatcmpl-demo-${promptTokens}`,
    object: 'chat.completion',
    created: 0,
    model: request.model ?? 'unknown',
    choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
}
