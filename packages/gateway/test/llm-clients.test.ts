// The LLM gateway end to end with the official clients — `openai`, `@anthropic-ai/sdk`, and `ai`
// with `@ai-sdk/openai` — each given the agent's `AgentIdentity.fetch` from @zt4ai/sdk, against a
// local provider that replays the providers' recorded wire format (test/fixtures/llm/). Checks what
// the agent gets, what the provider got, what was recorded and what was metered.
import Anthropic from '@anthropic-ai/sdk';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANTHROPIC_TOOLS,
  auditEvents,
  type callEvents,
  type LlmHarness,
  OPENAI_TOOLS,
  payload,
  RESPONSES_TOOLS,
  startLlmHarness,
  SYSTEM_PROMPT,
} from './support/llm-harness.js';
import { cleanupStores } from './support/stores.js';

let h: LlmHarness;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  h = await startLlmHarness();
  openai = new OpenAI({
    apiKey: 'unused',
    baseURL: `${h.url}/v1`,
    fetch: h.openai.fetch,
    maxRetries: 0,
  });
  anthropic = new Anthropic({
    apiKey: 'unused',
    baseURL: h.url,
    fetch: h.anthropic.fetch,
    maxRetries: 0,
  });
});
afterAll(async () => {
  await h?.close();
  await cleanupStores();
});

const system = { role: 'system' as const, content: SYSTEM_PROMPT };
const lastRequest = () => h.provider.requests.at(-1)!;

/** The gateway's call id of the last answer, from the request log of the provider's body. */
async function lastCall(): Promise<{ id: string; events: Awaited<ReturnType<typeof callEvents>> }> {
  await h.gateway.drain();
  const events = await auditEvents(h.plane);
  const response = events.filter((e) => e.type === 'llm.response').at(-1);
  const id = String(response?.call);
  return { id, events: events.filter((e) => e.call === id) };
}

describe('OpenAI Chat Completions through the gateway', () => {
  it('answers, with the provider key upstream and nothing of the agent identity', async () => {
    const answer = await openai.chat.completions.create({
      model: h.openai.wireModel,
      temperature: 0,
      messages: [system, { role: 'user', content: 'Hello' }],
    });
    expect(answer.choices[0]?.message.content).toBe('Hello! How can I assist you today?');
    const sent = lastRequest();
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer sk-test-openai');
    expect(sent.headers.dpop).toBeUndefined();
    expect(JSON.stringify(sent.headers)).not.toContain('AgentCert');
    const { id, events } = await lastCall();
    const request = events.find((e) => e.type === 'llm.request')!;
    const response = events.find((e) => e.type === 'llm.response')!;
    expect(request).toMatchObject({
      agent: h.openai.id,
      model: h.openai.wireModel,
      endpoint: 'chat',
    });
    expect(JSON.parse(await payload(h.plane, request, 'request')).messages[0].content).toBe(
      SYSTEM_PROMPT,
    );
    expect(await payload(h.plane, response, 'completion')).toBe(
      'Hello! How can I assist you today?',
    );
    expect(response).toMatchObject({
      status: 'completed',
      usage: { input: 19, output: 10, cachedInput: 0, cacheWrite: 0, reasoning: 0 },
      usageSource: 'reported',
      costNano: 147_500, // 19 × $2.50/M + 10 × $10/M (gpt-4o)
    });
    const decision = (await auditEvents(h.plane)).find((e) => e.index === response.decision)!;
    expect(decision).toMatchObject({
      type: 'guard.decision',
      action: 'llm/complete',
      tool: 'openai/gpt-4o',
      decision: 'allow',
    });
    const row = await h.plane.store.db
      .selectFrom('llm_calls')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      agent: h.openai.id,
      team: 'billing',
      input_tokens: 19,
      output_tokens: 10,
      cost_nano: 147_500,
    });
  });

  it('streams, asking the provider for usage in the last chunk without showing it to an agent that did not ask', async () => {
    const stream = await openai.chat.completions.create({
      model: h.openai.wireModel,
      messages: [system, { role: 'user', content: 'Hello' }],
      stream: true,
    });
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      expect(chunk.choices.length).toBeGreaterThan(0);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe('Hello! How can I assist you today?');
    expect(chunks).toBe(11);
    expect(lastRequest().body?.stream_options).toEqual({ include_usage: true });
    const { events } = await lastCall();
    expect(events.find((e) => e.type === 'llm.response')).toMatchObject({
      stream: true,
      usage: { input: 19, output: 10 },
      usageSource: 'reported',
    });
  });

  it('passes the usage chunk on to an agent that asked for it', async () => {
    const stream = await openai.chat.completions.create({
      model: h.openai.wireModel,
      messages: [system, { role: 'user', content: 'Hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const usage = [];
    for await (const chunk of stream) if (chunk.usage) usage.push(chunk.usage);
    expect(usage).toEqual([expect.objectContaining({ prompt_tokens: 19, completion_tokens: 10 })]);
  });

  it('screens proposed tool calls: an allowed call passes, a denied one is replaced by a refusal', async () => {
    const answer = await openai.chat.completions.create({
      model: h.openai.wireModel,
      messages: [
        system,
        { role: 'user', content: 'Show invoices of customer 42 [fixture:chat-tool-calls]' },
      ],
      tools: OPENAI_TOOLS,
    });
    const message = answer.choices[0]!.message;
    expect(message.tool_calls).toEqual([
      expect.objectContaining({
        id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA',
        function: expect.objectContaining({ name: 'db__query' }),
      }),
    ]);
    expect(message.content).toMatch(
      /\[zt4ai\] The proposed call of tool "shell\/exec" was blocked/,
    );
    expect(answer.choices[0]!.finish_reason).toBe('tool_calls');
    const { events } = await lastCall();
    const response = events.find((e) => e.type === 'llm.response')!;
    expect(response.toolCalls).toEqual([
      expect.objectContaining({ tool: 'db/query', decision: 'allow', action: 'pass' }),
      expect.objectContaining({ tool: 'shell/exec', decision: 'deny', action: 'strip' }),
    ]);
    const calls = JSON.parse(await payload(h.plane, response, 'toolCalls'));
    expect(calls[1]).toMatchObject({
      name: 'shell__exec',
      arguments: '{"command":"rm -rf / --no-preserve-root"}',
    });
    const decisions = (await auditEvents(h.plane)).filter(
      // Screened proposals take no grant use and are recorded as such.
      (e) => e.type === 'guard.screened' && e.action === 'tools/call',
    );
    expect(
      decisions
        .slice(-2)
        .map((d) => [d.tool, d.decision])
        .sort(),
    ).toEqual([
      ['db/query', 'allow'],
      ['shell/exec', 'deny'],
    ]);
  });

  it('holds streamed tool-call deltas until the calls are complete, then screens them', async () => {
    const stream = await openai.chat.completions.create({
      model: h.openai.wireModel,
      messages: [
        system,
        { role: 'user', content: 'Show invoices of customer 42 [fixture:chat-tool-calls]' },
      ],
      tools: OPENAI_TOOLS,
      stream: true,
    });
    const calls = new Map<number, { name: string; args: string }>();
    let content = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      content += choice?.delta.content ?? '';
      finish = choice?.finish_reason ?? finish;
      for (const call of choice?.delta.tool_calls ?? []) {
        const held = calls.get(call.index) ?? { name: '', args: '' };
        held.name += call.function?.name ?? '';
        held.args += call.function?.arguments ?? '';
        calls.set(call.index, held);
      }
    }
    expect([...calls.values()]).toEqual([
      {
        name: 'db__query',
        args: '{"sql":"SELECT id, total FROM invoices WHERE customer_id = 42"}',
      },
    ]);
    expect(content).toContain('shell/exec');
    expect(finish).toBe('tool_calls');
  });
});

describe('OpenAI Responses through the gateway', () => {
  it('answers and records the reasoning summary', async () => {
    const answer = await openai.responses.create({
      model: h.openai.wireModel,
      instructions: SYSTEM_PROMPT,
      input: 'Hello',
    });
    expect(answer.output_text).toBe('Hi there! How can I help you today?');
    const { events } = await lastCall();
    const response = events.find((e) => e.type === 'llm.response')!;
    expect(await payload(h.plane, response, 'reasoning')).toBe(
      'The user greets me; a short, friendly greeting is enough.',
    );
    expect(response).toMatchObject({
      usage: { input: 36, output: 87, reasoning: 64 },
      endpoint: 'responses',
    });
  });

  it('streams text and reasoning events through, with usage from response.completed', async () => {
    const stream = await openai.responses.create({
      model: h.openai.wireModel,
      instructions: SYSTEM_PROMPT,
      input: 'Hello',
      stream: true,
    });
    const types: string[] = [];
    let text = '';
    let reasoning = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.reasoning_summary_text.delta') reasoning += event.delta;
    }
    expect(text).toBe('Hi there! How can I help you today?');
    expect(reasoning).toBe('The user greets me; a short, friendly greeting is enough.');
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    const { events } = await lastCall();
    expect(events.find((e) => e.type === 'llm.response')).toMatchObject({
      usage: { input: 36, output: 87 },
    });
  });

  it('replaces a denied streamed function call by a message, in the events and in the final response', async () => {
    const stream = openai.responses.stream({
      model: h.openai.wireModel,
      instructions: SYSTEM_PROMPT,
      input: 'Invoices of 42? [fixture:responses-function-call]',
      tools: RESPONSES_TOOLS,
    });
    const sequence: number[] = [];
    for await (const event of stream) sequence.push(event.sequence_number);
    const final = await stream.finalResponse();
    expect(sequence).toEqual(sequence.map((_, i) => i));
    expect(final.output.map((item) => item.type)).toEqual(['function_call', 'message']);
    expect(final.output[0]).toMatchObject({
      name: 'db__query',
      call_id: 'call_unLAR8MvFNptuiZK6K6HCy5k',
    });
    expect(final.output_text).toContain('"shell/exec" was blocked');
  });

  it('screens the function calls of a whole answer', async () => {
    const answer = await openai.responses.create({
      model: h.openai.wireModel,
      instructions: SYSTEM_PROMPT,
      input: 'Invoices of 42? [fixture:responses-function-call]',
      tools: RESPONSES_TOOLS,
    });
    expect(answer.output.map((item) => item.type)).toEqual(['function_call', 'message']);
  });
});

describe('Anthropic Messages through the gateway', () => {
  it('answers with thinking, recorded as reasoning, with the provider key upstream', async () => {
    const message = await anthropic.messages.create({
      model: h.anthropic.wireModel,
      max_tokens: 1024,
      system: SYSTEM_PROMPT,
      messages: [{ role: 'user', content: 'What is 27 * 453?' }],
    });
    expect(message.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    const sent = lastRequest();
    expect(sent.headers['x-api-key']).toBe('sk-ant-test');
    expect(sent.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(sent.headers['x-api-key']).not.toBe('unused');
    const { events } = await lastCall();
    const response = events.find((e) => e.type === 'llm.response')!;
    expect(await payload(h.plane, response, 'reasoning')).toContain('27 * 453 = 27 * 400');
    expect(response).toMatchObject({ usage: { input: 42, output: 131 }, costNano: 2_091_000 });
  });

  it('streams thinking_delta and signature_delta through; usage from message_start and message_delta', async () => {
    const stream = anthropic.messages.stream({
      model: h.anthropic.wireModel,
      max_tokens: 1024,
      system: SYSTEM_PROMPT,
      messages: [{ role: 'user', content: 'What is 27 * 453?' }],
    });
    let thinking = '';
    stream.on('thinking', (delta) => (thinking += delta));
    const final = await stream.finalMessage();
    expect(thinking).toContain('= 10800 + 1431 = 12231.');
    expect(final.content[0]).toMatchObject({
      type: 'thinking',
      signature: expect.stringMatching(/^EqQBCgIY/),
    });
    expect(final.content[1]).toMatchObject({ type: 'text', text: '27 * 453 = 12,231' });
    const { events } = await lastCall();
    expect(events.find((e) => e.type === 'llm.response')).toMatchObject({
      usage: { input: 42, output: 131 },
      usageSource: 'reported',
    });
  });

  it('holds a streamed tool_use block until it stops, and turns a denied one into a text block', async () => {
    const stream = anthropic.messages.stream({
      model: h.anthropic.wireModel,
      max_tokens: 1024,
      system: SYSTEM_PROMPT,
      tools: ANTHROPIC_TOOLS,
      messages: [{ role: 'user', content: 'Invoices of 42? [fixture:messages-tool-use]' }],
    });
    const final = await stream.finalMessage();
    expect(final.content.map((block) => block.type)).toEqual(['text', 'tool_use', 'text']);
    expect(final.content[1]).toMatchObject({
      name: 'db__query',
      input: { sql: 'SELECT id, total FROM invoices WHERE customer_id = 42' },
    });
    expect(final.content[2]).toMatchObject({
      text: expect.stringContaining('"shell/exec" was blocked'),
    });
    expect(final.stop_reason).toBe('tool_use');
  });

  it('ends the turn normally when every tool use of a whole answer was stripped', async () => {
    // This agent's grants cover llm/complete only: both proposed calls are denied.
    const strict = await h.agent('claude-strict', { kind: 'anthropic', toolGrants: [] });
    const client = new Anthropic({
      apiKey: 'unused',
      baseURL: h.url,
      fetch: strict.fetch,
      maxRetries: 0,
    });
    const message = await client.messages.create({
      model: h.anthropic.wireModel,
      max_tokens: 1024,
      system: SYSTEM_PROMPT,
      tools: ANTHROPIC_TOOLS,
      messages: [{ role: 'user', content: 'Invoices of 42? [fixture:messages-tool-use]' }],
    });
    expect(message.content.map((block) => block.type)).toEqual(['text', 'text', 'text']);
    expect(message.stop_reason).toBe('end_turn');
  });
});

describe('the AI SDK through the gateway', () => {
  const provider = () =>
    createOpenAI({ baseURL: `${h.url}/v1`, apiKey: 'unused', fetch: h.openai.fetch });

  it('generateText over Chat Completions', async () => {
    const { text, usage } = await generateText({
      model: provider().chat(h.openai.wireModel),
      system: SYSTEM_PROMPT,
      prompt: 'Hello',
      temperature: 0,
    });
    expect(text).toBe('Hello! How can I assist you today?');
    expect(usage.inputTokens).toBe(19);
  });

  it('streamText over Chat Completions', async () => {
    const result = streamText({
      model: provider().chat(h.openai.wireModel),
      system: SYSTEM_PROMPT,
      prompt: 'Hello',
    });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe('Hello! How can I assist you today?');
  });

  it('streamText over the Responses API, reasoning included', async () => {
    const result = streamText({
      model: provider().responses(h.openai.wireModel),
      system: SYSTEM_PROMPT,
      prompt: 'Hello',
    });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe('Hi there! How can I help you today?');
    expect(await result.reasoningText).toBe(
      'The user greets me; a short, friendly greeting is enough.',
    );
    expect((await result.usage).outputTokens).toBe(87);
  });
});

describe('GET /v1/models', () => {
  it('lists the certified model, in each client shape', async () => {
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['gpt-4o-2024-08-06']);
    const claude = await anthropic.models.list();
    expect(claude.data.map((m) => m.id)).toEqual(['claude-sonnet-4-5-20250929']);
  });
});
