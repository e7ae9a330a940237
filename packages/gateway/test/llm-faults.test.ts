// Bad input and faults at the LLM gateway: missing or replayed credentials, malformed, oversized or
// mistyped bodies get a clear error with a stable code in the client's API shape; provider errors,
// timeouts and streams cut midway are answered cleanly, with usage settled from what arrived and
// the partial answer in the audit log; unknown request fields reach the provider unchanged; rate
// limits per agent.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditEvents,
  type LlmHarness,
  payload,
  startLlmHarness,
  SYSTEM_PROMPT,
  type TestAgent,
} from './support/llm-harness.js';
import { cleanupStores } from './support/stores.js';

let h: LlmHarness;
let openai: OpenAI;

beforeAll(async () => {
  h = await startLlmHarness({ llm: { maxRequestBytes: 64 * 1024 } });
  openai = new OpenAI({
    apiKey: 'unused',
    baseURL: `${h.url}/v1`,
    fetch: h.openai.fetch,
    maxRetries: 0,
  });
});
/** An error body in either API's shape, as the tests read it. */
interface WireBody {
  readonly type?: string;
  readonly error?: {
    readonly code?: string;
    readonly type?: string;
    readonly message?: string;
    readonly error?: unknown;
  };
}

afterAll(async () => {
  await h?.close();
  await cleanupStores();
});

const messages = (text: string) => [
  { role: 'system' as const, content: SYSTEM_PROMPT },
  { role: 'user' as const, content: text },
];

async function post(
  agent: TestAgent | undefined,
  path: string,
  body: string,
  type = 'application/json',
) {
  const send = agent?.fetch ?? fetch;
  const response = await send(`${h.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': type },
    body,
  });
  const text = await response.text();
  expect(text).not.toContain('    at ');
  return {
    status: response.status,
    headers: response.headers,
    body: JSON.parse(text) as WireBody,
  };
}

/** The last llm.response event, after settlement. */
async function lastResponse() {
  await h.gateway.drain();
  return (await auditEvents(h.plane)).filter((e) => e.type === 'llm.response').at(-1)!;
}

/** What the clients' API errors carry: the status and the error object (or, Anthropic, the body). */
interface ApiError {
  readonly status: number;
  readonly error: NonNullable<WireBody['error']> & { readonly type?: string };
}

async function failure(call: Promise<unknown>): Promise<ApiError> {
  return call.then(
    () => {
      throw new Error('the call succeeded');
    },
    (e: ApiError) => e,
  );
}

describe('authentication', () => {
  it('answers a call without certificate and proof with 401 and a DPoP challenge', async () => {
    const response = await post(
      undefined,
      '/v1/chat/completions',
      JSON.stringify({ model: 'x', messages: [] }),
    );
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('DPoP');
    expect(response.body.error).toMatchObject({
      type: 'authentication_error',
      code: 'token-malformed',
    });
  });

  it('refuses a replayed proof', async () => {
    const certificate = await h.openai.identity.certificate();
    const url = `${h.url}/v1/models`;
    const headers = {
      authorization: `AgentCert ${certificate}`,
      dpop: await h.openai.identity.proof('GET', url),
    };
    expect((await fetch(url, { headers })).status).toBe(200);
    const again = await fetch(url, { headers });
    expect(again.status).toBe(401);
    expect(((await again.json()) as WireBody).error?.code).toBe('proof-replayed');
  });

  it('denies an agent whose grants do not cover the model', async () => {
    const agent = await h.agent('no-llm-grant', { kind: 'anthropic', toolGrants: [] });
    const client = new OpenAI({
      apiKey: 'unused',
      baseURL: `${h.url}/v1`,
      fetch: agent.fetch,
      maxRetries: 0,
    });
    // Its certificate names an Anthropic model: this API is not the provider's.
    const error = await failure(
      client.chat.completions.create({ model: agent.wireModel, messages: messages('hi') }),
    );
    expect(error).toMatchObject({ status: 400, error: { code: 'model_not_available' } });
  });
});

describe('bad input', () => {
  it('refuses malformed JSON, a body that is not an object, and a wrong media type', async () => {
    const broken = await post(h.openai, '/v1/chat/completions', '{"model": ');
    expect(broken).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_json', type: 'invalid_request_error' } },
    });
    const array = await post(h.openai, '/v1/responses', '[1, 2]');
    expect(array).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } });
    const anthropic = await post(h.anthropic, '/v1/messages', 'nope');
    expect(anthropic).toMatchObject({
      status: 400,
      body: { type: 'error', error: { type: 'invalid_request_error', code: 'invalid_json' } },
    });
    const text = await post(h.openai, '/v1/chat/completions', '{}', 'text/plain');
    expect(text).toMatchObject({
      status: 415,
      body: { error: { code: 'unsupported_media_type' } },
    });
  });

  it('refuses an oversized body with 413', async () => {
    const big = JSON.stringify({
      model: h.openai.wireModel,
      messages: messages('x'.repeat(70 * 1024)),
    });
    const response = await post(h.openai, '/v1/chat/completions', big);
    expect(response).toMatchObject({ status: 413, body: { error: { code: 'request_too_large' } } });
  });

  it('names the field that is wrong', async () => {
    const noModel = await post(
      h.openai,
      '/v1/chat/completions',
      JSON.stringify({ messages: messages('hi') }),
    );
    expect(noModel.body.error).toMatchObject({
      code: 'invalid_request',
      message: expect.stringContaining('"model"'),
    });
    const noMax = await post(
      h.anthropic,
      '/v1/messages',
      JSON.stringify({ model: h.anthropic.wireModel, messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(noMax.body.error).toMatchObject({
      code: 'invalid_request',
      message: '"max_tokens" is required',
    });
    const huge = await post(
      h.openai,
      '/v1/chat/completions',
      `{"model":"${h.openai.wireModel}","seed":12345678901234567890,"messages":[]}`,
    );
    expect(huge.body.error?.message).toContain('2^53');
    const legacy = await post(
      h.openai,
      '/v1/chat/completions',
      JSON.stringify({ model: h.openai.wireModel, messages: messages('hi'), functions: [] }),
    );
    expect(legacy.body.error?.message).toContain('"functions"');
  });

  it('passes unknown request fields to the provider unchanged', async () => {
    const extra = {
      x_vendor_option: { nested: [1, 'two', { three: null, four: 4.5 }], flag: true },
      metadata: { ticket: 'FIN-42' },
      user: 'user-1234',
      prediction: { type: 'content', content: 'Olá — 😀' },
    };
    const body = { model: h.openai.wireModel, temperature: 0, messages: messages('hi'), ...extra };
    const response = await post(h.openai, '/v1/chat/completions', JSON.stringify(body));
    expect(response.status).toBe(200);
    expect(h.provider.requests.at(-1)?.body).toEqual(body);
  });
});

describe('provider failures', () => {
  it('passes a provider 400 with its message; records no usage', async () => {
    const error = await failure(
      openai.chat.completions.create({
        model: h.openai.wireModel,
        messages: messages('[fixture:chat-error-400]'),
      }),
    );
    expect(error).toMatchObject({ status: 400, error: { code: 'upstream_error' } });
    expect(error.error.message).toContain("Invalid value for 'temperature'");
    expect(await lastResponse()).toMatchObject({
      status: 'upstream_error',
      httpStatus: 400,
      usage: { input: 0, output: 0 },
      costNano: 0,
    });
  });

  it('never shows the agent the provider refusing the gateway key', async () => {
    const error = await failure(
      openai.chat.completions.create({
        model: h.openai.wireModel,
        messages: messages('[fixture:chat-error-401]'),
      }),
    );
    expect(error).toMatchObject({ status: 502, error: { code: 'upstream_error' } });
    expect(JSON.stringify(error.error)).not.toContain('sk-');
  });

  it('passes 5xx and Anthropic 529 as they are, so that clients retry', async () => {
    const error = await failure(
      openai.chat.completions.create({
        model: h.openai.wireModel,
        messages: messages('[fault:status:503]'),
      }),
    );
    expect(error.status).toBe(503);
    const anthropic = new Anthropic({
      apiKey: 'unused',
      baseURL: h.url,
      fetch: h.anthropic.fetch,
      maxRetries: 0,
    });
    const overloaded = await failure(
      anthropic.messages.create({
        model: h.anthropic.wireModel,
        max_tokens: 10,
        system: SYSTEM_PROMPT,
        messages: [{ role: 'user', content: '[fixture:messages-overloaded-529]' }],
      }),
    );
    expect(overloaded).toMatchObject({
      status: 529,
      error: { type: 'error', error: { type: 'overloaded_error' } },
    });
  });

  it('answers 504 when the provider stays silent, and settles the input it may have charged', async () => {
    const error = await failure(
      openai.chat.completions.create({
        model: h.openai.wireModel,
        messages: messages('[fault:timeout]'),
      }),
    );
    expect(error).toMatchObject({ status: 504, error: { code: 'upstream_timeout' } });
    const response = await lastResponse();
    expect(response).toMatchObject({
      status: 'timeout',
      usageSource: 'estimated',
      usage: { output: 0 },
    });
    expect((response.usage as { input: number }).input).toBeGreaterThan(100);
    expect(response.costNano as number).toBeGreaterThan(0);
  });

  it('ends a stream cut midway with an error event; the partial answer is recorded and metered', async () => {
    const stream = await openai.chat.completions.create({
      model: h.openai.wireModel,
      messages: messages('[fault:cut]'),
      stream: true,
    });
    let text = '';
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().then(
      () => undefined,
      (e: { error?: { code?: string } }) => e,
    );
    expect(error?.error?.code).toBe('upstream_stream_cut');
    // The provider sent 6 of its 13 events before the connection broke.
    expect(text).toBe('Hello! How can I');
    const response = await lastResponse();
    expect(response).toMatchObject({ status: 'cut', usageSource: 'estimated' });
    expect(response.usage).toMatchObject({ output: Buffer.byteLength('Hello! How can I') });
    expect(await payload(h.plane, response, 'completion')).toBe('Hello! How can I');
    expect(await payload(h.plane, response, 'response')).toContain('chat.completion.chunk');
  });

  it('cuts an Anthropic stream into an error event, with the input usage from message_start', async () => {
    const anthropic = new Anthropic({
      apiKey: 'unused',
      baseURL: h.url,
      fetch: h.anthropic.fetch,
      maxRetries: 0,
    });
    const stream = anthropic.messages.stream({
      model: h.anthropic.wireModel,
      max_tokens: 100,
      system: SYSTEM_PROMPT,
      messages: [{ role: 'user', content: '[fault:cut]' }],
    });
    await expect(stream.finalMessage()).rejects.toThrow(/ended the stream early/);
    const response = await lastResponse();
    expect(response).toMatchObject({ status: 'cut', usage: { input: 42 } });
    expect(await payload(h.plane, response, 'reasoning')).toContain('The user asks for 27 * 453.');
  });

  it('times out a stream that falls silent', async () => {
    const stream = await openai.responses.create({
      model: h.openai.wireModel,
      instructions: SYSTEM_PROMPT,
      input: '[fault:stall]',
      stream: true,
    });
    const types: string[] = [];
    await expect(
      (async () => {
        for await (const event of stream) types.push(event.type);
      })(),
    ).rejects.toThrow();
    expect(types[0]).toBe('response.created');
    expect(await lastResponse()).toMatchObject({ status: 'timeout', endpoint: 'responses' });
  });

  it('answers a whole answer cut midway with 502', async () => {
    const error = await failure(
      openai.chat.completions.create({
        model: h.openai.wireModel,
        messages: messages('[fault:cut]'),
      }),
    );
    expect(error).toMatchObject({ status: 502, error: { code: 'upstream_stream_cut' } });
    expect(await lastResponse()).toMatchObject({ status: 'cut', usageSource: 'estimated' });
  });

  it('records a call the agent abandons midway', async () => {
    const controller = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: h.openai.wireModel, messages: messages('[fault:stall]'), stream: true },
      { signal: controller.signal },
    );
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    controller.abort();
    // The client ends (or fails) its iteration: either way the agent is gone.
    await (async () => {
      while (!(await iterator.next()).done);
    })().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await lastResponse()).toMatchObject({ status: 'client_closed' });
  });
});

describe('rate limits per agent', () => {
  it('refuses requests over the per-minute limit with 429 and Retry-After', async () => {
    const limited = await startLlmHarness({ llm: { rateLimits: { requestsPerMinute: 2 } } });
    try {
      const client = new OpenAI({
        apiKey: 'unused',
        baseURL: `${limited.url}/v1`,
        fetch: limited.openai.fetch,
        maxRetries: 0,
      });
      const call = () =>
        client.chat.completions.create({
          model: limited.openai.wireModel,
          messages: messages('hi'),
        });
      await call();
      await call();
      const error = await failure(call());
      expect(error).toMatchObject({ status: 429, error: { code: 'rate_limited' } });
      expect(
        Number((error as unknown as { headers: Headers }).headers.get('retry-after')),
      ).toBeGreaterThan(0);
      // Another agent has its own allowance.
      const other = new OpenAI({
        apiKey: 'unused',
        baseURL: `${limited.url}/v1`,
        fetch: limited.anthropic.fetch,
        maxRetries: 0,
      });
      expect(other).toBeDefined();
    } finally {
      await limited.close();
    }
  });

  it('refuses tokens over the per-minute limit, counting the output ceiling', async () => {
    const limited = await startLlmHarness({ llm: { rateLimits: { tokensPerMinute: 2000 } } });
    try {
      const client = new OpenAI({
        apiKey: 'unused',
        baseURL: `${limited.url}/v1`,
        fetch: limited.openai.fetch,
        maxRetries: 0,
      });
      const error = await failure(
        client.chat.completions.create({
          model: limited.openai.wireModel,
          max_tokens: 5000,
          messages: messages('hi'),
        }),
      );
      expect(error).toMatchObject({ status: 429, error: { code: 'rate_limited' } });
      await client.chat.completions.create({
        model: limited.openai.wireModel,
        max_tokens: 100,
        messages: messages('hi'),
      });
    } finally {
      await limited.close();
    }
  });
});
