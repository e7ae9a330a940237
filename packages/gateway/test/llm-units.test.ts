// The LLM gateway's parts on their own: tool-name mapping, model binding, bound parameters, the SSE
// parser (property: any split of a stream gives the same events), input bounds, prices and the
// reservation ceiling (property: never below the cost of any usage within the bounds), budget
// lines and periods, rate limits, the adapters' reading of requests, and provider errors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LlmProviderConfig } from '../src/config/index.js';
import { anthropicMessages } from '../src/llm/anthropic-messages.js';
import { boundParams } from '../src/llm/bound-params.js';
import { budgetLines } from '../src/llm/budget-lines.js';
import { periodEnd, periodStart } from '../src/llm/budget-period.js';
import { mapUpstreamError } from '../src/llm/call-relay.js';
import { conversationId } from '../src/llm/conversation-id.js';
import {
  FILE_TOKEN_ALLOWANCE,
  IMAGE_TOKEN_ALLOWANCE,
  inputTokenBound,
} from '../src/llm/input-bound.js';
import { modelResource, observedModel } from '../src/llm/model-binding.js';
import { openaiChat } from '../src/llm/openai-chat.js';
import { openaiResponses } from '../src/llm/openai-responses.js';
import { PriceBook } from '../src/llm/price-book.js';
import type { CallVerdict, ProposedCall, ScreenCalls } from '../src/llm/protocol.js';
import { providerHeaders, providerUrl } from '../src/llm/provider-request.js';
import { RateLimiter } from '../src/llm/rate-limiter.js';
import { type SseEvent, SseParser } from '../src/llm/sse.js';
import { toolName } from '../src/llm/tool-names.js';
import { Secret } from '../src/config/index.js';
import { fixture } from './support/llm-upstream.js';

const provider = (
  kind: LlmProviderConfig['kind'],
  extra: Partial<LlmProviderConfig> = {},
): LlmProviderConfig => ({
  id: kind,
  kind,
  baseUrl: 'https://provider.example',
  apiKey: new Secret('sk-secret'),
  apiVersion: undefined,
  deployments: {},
  anthropicBetas: [],
  timeoutMs: 1000,
  ...extra,
});

describe('tool names', () => {
  it('maps function names to the agent tool namespace', () => {
    expect(toolName('db__query', 'functions')).toBe('db/query');
    expect(toolName('mcp__fs__read_file', 'functions')).toBe('mcp/fs__read_file');
    expect(toolName('get_weather', 'functions')).toBe('functions/get_weather');
    expect(toolName('db/query', 'functions')).toBe('db/query');
    expect(toolName('__x', 'agent')).toBe('agent/__x');
    expect(toolName('x__', 'agent')).toBe('agent/x__');
  });
});

describe('model binding', () => {
  const certified = { provider: 'openai', name: 'gpt-4o', version: '2024-08-06' };
  it('reads the snapshot a request names in the terms of the certificate', () => {
    expect(observedModel('gpt-4o-2024-08-06', certified)).toEqual(certified);
    expect(observedModel('2024-08-06', certified)).toEqual(certified);
    expect(observedModel('gpt-4o-2024-11-20', certified)).toEqual({
      ...certified,
      version: '2024-11-20',
    });
    expect(observedModel('gpt-4o', certified)).toEqual({ ...certified, version: '' });
    expect(observedModel('gpt-4o-mini', certified)).toEqual({
      provider: 'openai',
      name: 'gpt-4o-mini',
      version: 'gpt-4o-mini',
    });
    const ollama = { provider: 'ollama', name: 'llama3.1', version: '8b' };
    expect(observedModel('llama3.1:8b', ollama)).toEqual(ollama);
    expect(observedModel('llama3.1:70b', ollama)).toEqual({ ...ollama, version: '70b' });
  });

  it('names grant resources provider/name, with characters patterns cannot hold replaced', () => {
    expect(modelResource(certified)).toBe('openai/gpt-4o');
    expect(modelResource({ provider: 'ollama', name: 'org/llama:3', version: '1' })).toBe(
      'ollama/org_llama_3',
    );
  });
});

describe('bound parameters', () => {
  it('drops absent parameters and those equal to their default', () => {
    expect(
      boundParams({
        temperature: 1,
        top_p: 0.9,
        tool_choice: 'auto',
        parallel_tool_calls: true,
        seed: undefined,
        stop: null,
      }),
    ).toEqual({ top_p: 0.9 });
    expect(boundParams({ temperature: 0, response_format: { type: 'json_object' } })).toEqual({
      temperature: 0,
      response_format: { type: 'json_object' },
    });
  });
});

describe('SSE parser', () => {
  const stream =
    'event: message_start\ndata: {"a":1}\n\n: a comment\n\ndata: line one\r\ndata: line two\r\n\r\ndata: [DONE]\n\n';
  const parse = (chunks: string[]): SseEvent[] => {
    const parser = new SseParser(1 << 20);
    const events = chunks.flatMap((chunk) => parser.push(Buffer.from(chunk)));
    parser.end();
    return events;
  };

  it('reads named events, multi-line data and comments; keeps each event as it came', () => {
    expect(parse([stream]).map(({ event, data }) => ({ event, data }))).toEqual([
      { event: 'message_start', data: '{"a":1}' },
      { event: undefined, data: 'line one\nline two' },
      { event: undefined, data: '[DONE]' },
    ]);
    expect(parse([stream])[0]?.raw).toBe('event: message_start\ndata: {"a":1}');
  });

  it('gives the same events however the stream is split (property)', () => {
    const whole = parse([stream]);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 12 }),
        (cuts) => {
          const points = [...new Set(cuts)].sort((a, b) => a - b);
          const chunks = [...points, stream.length].map((end, i) =>
            stream.slice(i === 0 ? 0 : points[i - 1], end),
          );
          expect(parse(chunks)).toEqual(whole);
        },
      ),
    );
  });

  it('splits multi-byte characters across chunks correctly, and drops an unterminated last event', () => {
    const bytes = Buffer.from('data: héllo 😀\n\ndata: cut');
    const parser = new SseParser(1024);
    const events = [...bytes].flatMap((byte) => parser.push(Uint8Array.of(byte)));
    expect(events.map((e) => e.data)).toEqual(['héllo 😀']);
  });

  it('refuses an event larger than allowed', () => {
    expect(() => new SseParser(16).push(Buffer.from(`data: ${'x'.repeat(64)}`))).toThrow(
      /larger than allowed/,
    );
  });
});

describe('input bound', () => {
  it('is the body bytes plus an allowance per media part given by reference', () => {
    const body = {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'https://x/y.png' } },
            { type: 'text', text: 'hi' },
          ],
        },
        { role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] },
      ],
    };
    expect(inputTokenBound(100, body)).toBe(100 + IMAGE_TOKEN_ALLOWANCE + FILE_TOKEN_ALLOWANCE);
  });

  it('counts a body too deep to walk as one large file', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100; i++) deep = { nested: deep };
    expect(inputTokenBound(10, deep)).toBe(10 + FILE_TOKEN_ALLOWANCE);
  });
});

describe('prices', () => {
  const book = new PriceBook([
    {
      provider: 'local',
      model: 'llama3.1:8b',
      inputPerMTok: 0.1,
      outputPerMTok: 0.2,
      cachedInputPerMTok: undefined,
      cacheWritePerMTok: undefined,
    },
  ]);
  const usage = { input: 1_000_000, cachedInput: 0, cacheWrite: 0, output: 100_000, reasoning: 0 };

  it('prices from the pinned table, with cache reads and writes at their own rates', () => {
    expect(book.cost(provider('openai'), 'gpt-4o-2024-08-06', usage)).toBe(3_500_000_000);
    expect(
      book.cost(provider('openai'), 'gpt-4o-2024-08-06', { ...usage, cachedInput: 1_000_000 }),
    ).toBe(2_250_000_000);
    expect(
      book.cost(provider('anthropic'), 'claude-sonnet-4-5-20250929', {
        ...usage,
        input: 100_000,
        cacheWrite: 100_000,
        output: 0,
      }),
    ).toBe(375_000_000);
  });

  it('takes an operator override first, and knows no price for an unknown model', () => {
    expect(book.cost({ ...provider('openai-compatible'), id: 'local' }, 'llama3.1:8b', usage)).toBe(
      120_000_000,
    );
    expect(book.cost(provider('openai-compatible'), 'llama3.1:8b', usage)).toBeUndefined();
    expect(
      book.ceiling(provider('openai-compatible'), 'llama3.1:8b', {
        inputTokens: 1,
        textBytes: 1,
        outputTokens: 1,
      }),
    ).toBeUndefined();
  });

  it('reserves at least what any usage within the bounds can cost (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          ['openai', 'gpt-4o-2024-08-06'],
          ['openai', 'o3-mini'],
          ['anthropic', 'claude-sonnet-4-5-20250929'],
        ),
        fc.integer({ min: 1, max: 400_000 }),
        fc.integer({ min: 1, max: 64_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        ([kind, model], inputTokens, outputTokens, cachedShare, writeShare) => {
          const p = provider(kind as 'openai' | 'anthropic');
          const cachedInput = Math.floor(inputTokens * cachedShare);
          const cacheWrite = Math.floor((inputTokens - cachedInput) * writeShare);
          const cost = book.cost(p, model, {
            input: inputTokens,
            cachedInput,
            cacheWrite,
            output: outputTokens,
            reasoning: 0,
          })!;
          const ceiling = book.ceiling(p, model, {
            inputTokens,
            textBytes: inputTokens,
            outputTokens,
          })!;
          expect(ceiling).toBeGreaterThanOrEqual(cost);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('budgets', () => {
  const now = new Date('2026-11-26T13:45:00Z');
  it('keys periods in UTC; weeks start on Monday', () => {
    expect(
      ['hour', 'day', 'week', 'month', 'total'].map((p) => periodStart(p as 'day', now)),
    ).toEqual(['2026-11-26T13', '2026-11-26', 'W2026-11-23', '2026-11', 'total']);
    expect(periodEnd('week', now)?.toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(periodEnd('month', now)?.toISOString()).toBe('2026-12-01T00:00:00.000Z');
  });

  it('applies a subject’s own budget over the default, and merges rows into the stricter limit', () => {
    const result = budgetLines(
      [
        { scope: 'agent', subject: '*', period: 'day', limitUsd: 10 },
        { scope: 'agent', subject: 'agt_1', period: 'day', limitUsd: 2 },
        { scope: 'team', subject: '*', period: 'month', limitUsd: 100 },
        { scope: 'mission', subject: 'mis_1', period: 'month', limitUsd: 50 },
        { scope: 'team', subject: 'other', period: 'month', limitUsd: 1 },
      ],
      {
        agent: 'agt_1',
        team: 'billing',
        mission: 'mis_1',
        missionBudget: { limit: 20, currency: 'USD', period: 'month' },
        grant: 'grt_1',
        grantBudget: { limit: 0.5, currency: 'USD' },
      },
      now,
    );
    expect(result).toEqual({
      ok: true,
      lines: [
        {
          scope: 'agent',
          subject: 'agt_1',
          period: 'day',
          periodStart: '2026-11-26',
          limitNano: 2e9,
        },
        {
          scope: 'team',
          subject: 'billing',
          period: 'month',
          periodStart: '2026-11',
          limitNano: 100e9,
        },
        {
          scope: 'mission',
          subject: 'mis_1',
          period: 'month',
          periodStart: '2026-11',
          limitNano: 20e9,
        },
        {
          scope: 'grant',
          subject: 'grt_1',
          period: 'total',
          periodStart: 'total',
          limitNano: 0.5e9,
        },
      ],
    });
  });

  it('refuses a budget in another currency', () => {
    const result = budgetLines(
      [],
      {
        agent: 'a',
        team: 't',
        mission: 'm',
        missionBudget: { limit: 1, currency: 'EUR', period: 'day' },
      },
      now,
    );
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('EUR') });
  });
});

describe('rate limits', () => {
  it('refills continuously and tells how long to wait', () => {
    let t = 0;
    const limiter = new RateLimiter({ requestsPerMinute: 2, tokensPerMinute: 1000 }, () => t);
    expect(limiter.take('a', 400)).toEqual({ ok: true });
    expect(limiter.take('a', 400)).toEqual({ ok: true });
    expect(limiter.take('a', 1)).toEqual({ ok: false, limit: 'requests', retryAfterSeconds: 30 });
    expect(limiter.take('b', 1200)).toMatchObject({
      ok: false,
      limit: 'tokens',
      retryAfterSeconds: Infinity,
    });
    t = 30_000; // half a minute: one request and 500 tokens back
    expect(limiter.take('a', 800)).toEqual({ ok: false, limit: 'tokens', retryAfterSeconds: 6 });
    limiter.settle('a', 800, 100); // the earlier calls used 100 of the 800 taken
    expect(limiter.take('a', 800)).toEqual({ ok: true });
  });
});

describe('adapters read requests', () => {
  it('Chat Completions: system and developer messages, neutral tools, bounds', () => {
    const inspected = openaiChat.inspect(
      {
        model: 'gpt-4o-2024-08-06',
        n: 2,
        max_completion_tokens: 50,
        messages: [
          {
            role: 'system',
            content: [
              { type: 'text', text: 'A' },
              { type: 'text', text: 'B' },
            ],
          },
          { role: 'developer', content: 'C' },
          { role: 'user', content: 'hi' },
        ],
        tools: [
          {
            type: 'function',
            function: { name: 'db__query', parameters: { type: 'object' }, strict: false },
          },
        ],
        tool_choice: { type: 'function', function: { name: 'db__query' } },
      },
      'functions',
    );
    expect(inspected).toMatchObject({
      prompt: {
        system: 'AB\n\nC',
        tools: [{ name: 'db/query', parameters: { type: 'object' } }],
        params: { tool_choice: { name: 'db/query' } },
      },
      maxOutputTokens: 50,
      choices: 2,
      conversationSeed: 'hi',
    });
    expect(() => openaiChat.inspect({ model: 'm', messages: [{ content: 'x' }] }, 'f')).toThrow(
      /"messages\[0\]"/,
    );
    expect(() =>
      openaiChat.inspect({ model: 'm', messages: [{ role: 'user' }], n: 1000 }, 'f'),
    ).toThrow(/"n"/);
  });

  it('the three APIs give one neutral form for the same tool', () => {
    const schema = { type: 'object', properties: { sql: { type: 'string' } } };
    const chat = openaiChat.inspect(
      {
        model: 'm',
        messages: [{ role: 'user' }],
        tools: [
          {
            type: 'function',
            function: { name: 'db__query', description: 'd', parameters: schema },
          },
        ],
      },
      'f',
    );
    const responses = openaiResponses.inspect(
      {
        model: 'm',
        tools: [
          {
            type: 'function',
            name: 'db__query',
            description: 'd',
            parameters: schema,
            strict: null,
          },
        ],
      },
      'f',
    );
    const messages = anthropicMessages.inspect(
      {
        model: 'm',
        max_tokens: 1,
        messages: [{ role: 'user' }],
        tools: [
          {
            name: 'db__query',
            description: 'd',
            input_schema: schema,
            cache_control: { type: 'ephemeral' },
          },
        ],
      },
      'f',
    );
    expect(responses.prompt.tools).toEqual(chat.prompt.tools);
    expect(messages.prompt.tools).toEqual(chat.prompt.tools);
  });

  it('Responses: instructions and instruction messages, server-side context, background refused', () => {
    const inspected = openaiResponses.inspect(
      {
        model: 'm',
        instructions: 'A',
        input: [
          { role: 'developer', content: [{ type: 'input_text', text: 'B' }] },
          { type: 'message', role: 'user', content: 'hi' },
        ],
        conversation: 'conv_1',
        reasoning: { effort: 'high' },
        text: { format: { type: 'json_object' } },
      },
      'f',
    );
    expect(inspected).toMatchObject({
      prompt: {
        system: 'A\n\nB',
        params: { reasoning_effort: 'high', response_format: { type: 'json_object' } },
      },
      serverContext: 'conversation',
    });
    expect(() => openaiResponses.inspect({ model: 'm', background: true }, 'f')).toThrow(
      /background/,
    );
  });

  it('Anthropic: system blocks, MCP servers without their token, tool choice', () => {
    const inspected = anthropicMessages.inspect(
      {
        model: 'm',
        max_tokens: 10,
        system: [{ type: 'text', text: 'A', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'hi' }],
        mcp_servers: [
          { type: 'url', url: 'https://mcp.example/sse', name: 'x', authorization_token: 'secret' },
        ],
        tool_choice: { type: 'any', disable_parallel_tool_use: true },
        thinking: { type: 'enabled', budget_tokens: 4000 },
      },
      'f',
    );
    expect(inspected.prompt).toEqual({
      system: 'A',
      tools: [
        { type: 'mcp_server', server: { type: 'url', url: 'https://mcp.example/sse', name: 'x' } },
      ],
      params: { tool_choice: 'required', parallel_tool_calls: false, thinking: 'enabled' },
    });
  });
});

describe('streams', () => {
  const screen =
    (action: CallVerdict['action']): ScreenCalls =>
    async (calls: readonly ProposedCall[]) =>
      calls.map((call) => ({
        call,
        tool: `db/${call.name}`,
        action,
        decision: action === 'pass' ? 'allow' : 'deny',
        reasons: ['no grant'],
      }));
  const events = (name: string): SseEvent[] =>
    (fixture(name).events ?? []).map((e) => {
      const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
      return {
        event: e.event,
        data,
        raw: `${e.event === undefined ? '' : `event: ${e.event}\n`}data: ${data}`,
      };
    });
  const run = async (processor: ReturnType<typeof openaiChat.stream>, name: string) => {
    let out = '';
    for (const event of events(name)) out += await processor.push(event);
    out += await processor.finish(!processor.complete);
    return out;
  };

  it('flags instead of stripping when the operator chose flag', async () => {
    const inspected = openaiChat.inspect(
      { model: 'm', messages: [{ role: 'user' }], stream: true },
      'f',
    );
    const out = await run(openaiChat.stream(screen('flag'), inspected), 'chat-tool-calls.stream');
    expect(out).toContain(': zt4ai flagged tool call call_9KpQx1sFjT7fG3YzqX2bNwLe');
    expect(out).toContain('"name":"shell__exec"');
  });

  it('screens and sends calls of a choice the provider ended without a finish reason', async () => {
    const inspected = openaiChat.inspect(
      { model: 'm', messages: [{ role: 'user' }], stream: true },
      'f',
    );
    const processor = openaiChat.stream(screen('pass'), inspected);
    let out = '';
    for (const event of events('chat-tool-calls.stream')) {
      if (event.data.includes('"finish_reason":"tool_calls"')) continue;
      out += await processor.push(event);
    }
    expect(processor.complete).toBe(true);
    expect(out.indexOf('"name":"shell__exec"')).toBeGreaterThan(0);
    expect(out.indexOf('"name":"shell__exec"')).toBeLessThan(out.indexOf('[DONE]'));
  });

  it('renumbers Responses events when a call was replaced, and patches the final response', async () => {
    const processor = openaiResponses.stream(
      screen('strip'),
      openaiResponses.inspect({ model: 'm' }, 'f'),
    );
    const out = await run(processor, 'responses-function-call.stream');
    const parsed = out
      .split('\n\n')
      .filter((block) => block.startsWith('event:'))
      .map(
        (block) =>
          JSON.parse(block.split('\ndata: ')[1]!) as {
            sequence_number: number;
            type: string;
            response?: { output: Array<{ type: string }> };
          },
      );
    expect(parsed.map((e) => e.sequence_number)).toEqual(parsed.map((_, i) => i));
    expect(parsed.at(-1)?.response?.output.map((item) => item.type)).toEqual([
      'message',
      'message',
    ]);
    expect(processor.transcript.calls).toHaveLength(2);
  });

  it('keeps an Anthropic block index when a tool use becomes text', async () => {
    const processor = anthropicMessages.stream(
      screen('strip'),
      anthropicMessages.inspect({ model: 'm', max_tokens: 1, messages: [{ role: 'user' }] }, 'f'),
    );
    const out = await run(processor, 'messages-tool-use.stream');
    expect(out).not.toContain('tool_use');
    expect(out).toContain('"index":2,"content_block":{"type":"text","text":""}');
    expect(out).toContain('"stop_reason":"end_turn"');
  });
});

describe('providers', () => {
  it('builds URLs and credentials per provider kind, keys only from configuration', () => {
    expect(providerUrl(provider('openai'), 'responses', 'm').href).toBe(
      'https://provider.example/responses',
    );
    expect(providerUrl(provider('anthropic'), 'messages', 'm').href).toBe(
      'https://provider.example/v1/messages',
    );
    const azure = provider('azure-openai', {
      apiVersion: '2024-10-21',
      deployments: { 'gpt-4o-2024-08-06': 'prod-4o' },
    });
    expect(providerUrl(azure, 'chat', 'gpt-4o-2024-08-06').href).toBe(
      'https://provider.example/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21',
    );
    expect(providerUrl(provider('azure-openai'), 'chat', 'x').href).toBe(
      'https://provider.example/openai/v1/chat/completions',
    );
    expect(
      providerHeaders(azure, false, { anthropicVersion: undefined, anthropicBeta: undefined })[
        'api-key'
      ],
    ).toBe('sk-secret');
    const anthropic = provider('anthropic', { anthropicBetas: ['context-1m-2025-08-07'] });
    expect(
      providerHeaders(anthropic, true, {
        anthropicVersion: 'bogus',
        anthropicBeta: 'mcp-client-2025-04-04, context-1m-2025-08-07',
      }),
    ).toMatchObject({
      'x-api-key': 'sk-secret',
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'context-1m-2025-08-07',
      accept: 'text/event-stream',
    });
  });

  it('maps provider errors without leaking the gateway account', () => {
    expect(
      mapUpstreamError(401, '{"error":{"message":"Incorrect API key sk-abc"}}', {}),
    ).toMatchObject({ status: 502 });
    expect(mapUpstreamError(429, '', { 'retry-after': '7' })).toMatchObject({
      status: 429,
      headers: { 'retry-after': '7' },
    });
    expect(mapUpstreamError(429, '', { 'retry-after': 'soon' }).headers).toBeUndefined();
    expect(mapUpstreamError(418, 'not json', {})).toMatchObject({
      status: 418,
      message: expect.stringContaining('(418)'),
    });
    expect(mapUpstreamError(507, '', {})).toMatchObject({ status: 502 });
  });
});

describe('conversation ids', () => {
  it('takes the agent’s own, or derives one from the agent and the first message', () => {
    expect(conversationId('agt_1', 'ticket-42', 'hi')).toBe('ticket-42');
    expect(conversationId('agt_1', 'bad id!', 'hi')).toMatch(/^conv_[A-Za-z0-9_-]{22}$/);
    expect(conversationId('agt_1', undefined, 'hi')).toBe(conversationId('agt_1', undefined, 'hi'));
    expect(conversationId('agt_1', undefined, 'hi')).not.toBe(
      conversationId('agt_2', undefined, 'hi'),
    );
  });
});
