// OpenAI Chat Completions (`POST /v1/chat/completions`), also spoken by Azure OpenAI and by
// OpenAI-compatible servers (vLLM, Ollama): the binding it carries (system and developer messages,
// tools, parameters), its bounds, and the answer's text, reasoning, tool calls and usage.
import type { LlmProviderKind } from '../config/index.js';
import { boundParams } from './bound-params.js';
import { contentText, isRecord, type JsonRecord, records } from './json-values.js';
import { ChatStream } from './openai-chat-stream.js';
import {
  addText,
  type CallVerdict,
  type InspectedRequest,
  type LlmProtocol,
  newTranscript,
  type ProposedCall,
  type Transcript,
} from './protocol.js';
import {
  booleanField,
  messageList,
  modelField,
  positiveIntField,
  refuse,
} from './request-fields.js';
import { refusals } from './tool-call-screen.js';
import { neutralTool, offered } from './neutral-tools.js';
import { toolName } from './tool-names.js';
import { chatUsage } from './token-usage.js';

const INSTRUCTION_ROLES = new Set(['system', 'developer']);
const TEXT_PARTS = new Set(['text']);
const MAX_CHOICES = 128;

export const openaiChat: LlmProtocol = {
  endpoint: 'chat',
  accepts: (kind: LlmProviderKind) => kind !== 'anthropic',
  inspect,
  upstreamBody(body, inspected, options) {
    const upstream: JsonRecord = { ...body };
    if (inspected.stream) {
      // Usage arrives in a last chunk only when asked for (stream_options.include_usage).
      const streamOptions = isRecord(body.stream_options) ? body.stream_options : {};
      upstream.stream_options = { ...streamOptions, include_usage: true };
    }
    if (options.maxOutputTokens !== undefined) {
      // OpenAI-compatible servers know the older name; OpenAI's reasoning models only the newer.
      const key =
        options.providerKind === 'openai-compatible' ? 'max_tokens' : 'max_completion_tokens';
      upstream[key] = options.maxOutputTokens;
    }
    return upstream;
  },
  readAnswer,
  applyVerdicts,
  stream: (screen, inspected) => new ChatStream(screen, inspected.wantsStreamUsage),
};

function inspect(body: JsonRecord, namespace: string): InspectedRequest {
  const model = modelField(body);
  const messages = messageList(body, 'messages');
  if (body.functions !== undefined || body.function_call !== undefined)
    refuse(
      'the deprecated "functions" and "function_call" parameters are not supported; use "tools"',
    );
  const choices = positiveIntField(body, 'n') ?? 1;
  if (choices > MAX_CHOICES) refuse(`"n" must be at most ${MAX_CHOICES}`);
  const streamOptions = body.stream_options;
  return {
    model,
    stream: booleanField(body, 'stream'),
    prompt: {
      system: messages
        .filter((m) => INSTRUCTION_ROLES.has(m.role as string))
        .map((m) => contentText(m.content, TEXT_PARTS))
        .join('\n\n'),
      tools: offered(chatTools(body.tools, namespace)),
      params: boundParams({
        temperature: body.temperature,
        top_p: body.top_p,
        frequency_penalty: body.frequency_penalty,
        presence_penalty: body.presence_penalty,
        seed: body.seed,
        stop: body.stop,
        logit_bias: body.logit_bias,
        reasoning_effort: body.reasoning_effort,
        verbosity: body.verbosity,
        tool_choice: chatToolChoice(body.tool_choice, namespace),
        parallel_tool_calls: body.parallel_tool_calls,
        response_format: body.response_format,
      }),
    },
    maxOutputTokens:
      positiveIntField(body, 'max_completion_tokens') ?? positiveIntField(body, 'max_tokens'),
    choices,
    serverContext: undefined,
    conversationSeed: messages.find((m) => !INSTRUCTION_ROLES.has(m.role as string))?.content,
    wantsStreamUsage: isRecord(streamOptions) && streamOptions.include_usage === true,
  };
}

/** Tool definitions in the provider-neutral form of a prompt configuration's `tools`. */
function chatTools(tools: unknown, namespace: string): unknown[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) refuse('"tools" must be an array');
  return tools.map((tool, index) => {
    if (!isRecord(tool)) refuse(`"tools[${index}]" must be an object`);
    if (tool.type === 'function' && isRecord(tool.function))
      return neutralTool(tool.function, 'parameters', namespace);
    if (tool.type === 'custom' && isRecord(tool.custom))
      return { type: 'custom', ...neutralTool(tool.custom, 'format', namespace) };
    return tool;
  });
}

function chatToolChoice(choice: unknown, namespace: string): unknown {
  if (!isRecord(choice)) return choice;
  const named = isRecord(choice.function)
    ? choice.function
    : isRecord(choice.custom)
      ? choice.custom
      : undefined;
  if (named !== undefined && typeof named.name === 'string')
    return { name: toolName(named.name, namespace) };
  return choice;
}

function readAnswer(answer: JsonRecord): Transcript {
  const transcript = newTranscript();
  transcript.responseId = typeof answer.id === 'string' ? answer.id : undefined;
  transcript.usage = chatUsage(answer.usage);
  for (const [c, choice] of records(answer.choices).entries()) {
    const message = isRecord(choice.message) ? choice.message : {};
    addText(transcript, 'text', message.content);
    addText(transcript, 'text', message.refusal);
    addText(transcript, 'reasoning', message.reasoning_content);
    addText(transcript, 'reasoning', message.reasoning);
    for (const call of answerCalls(message, c)) {
      transcript.calls.push(call);
      transcript.outputBytes += Buffer.byteLength(call.arguments);
    }
    if (typeof choice.finish_reason === 'string') transcript.finish.push(choice.finish_reason);
  }
  return transcript;
}

function answerCalls(message: JsonRecord, choice: number): ProposedCall[] {
  return records(message.tool_calls).map((call, i) => {
    const fn = isRecord(call.function) ? call.function : isRecord(call.custom) ? call.custom : {};
    const args = typeof fn.arguments === 'string' ? fn.arguments : fn.input;
    return {
      key: `${choice}:${i}`,
      id: typeof call.id === 'string' ? call.id : '',
      name: typeof fn.name === 'string' ? fn.name : '',
      arguments: typeof args === 'string' ? args : '',
    };
  });
}

function applyVerdicts(answer: JsonRecord, verdicts: readonly CallVerdict[]): JsonRecord {
  const byKey = new Map(verdicts.map((v) => [v.call.key, v]));
  for (const [c, choice] of records(answer.choices).entries()) {
    const message = choice.message;
    if (!isRecord(message) || !Array.isArray(message.tool_calls)) continue;
    const own = message.tool_calls.map((_, i) => byKey.get(`${c}:${i}`));
    const stripped = own.filter((v): v is CallVerdict => v?.action === 'strip');
    if (stripped.length === 0) continue;
    const kept = message.tool_calls.filter((_, i) => own[i]?.action !== 'strip');
    const refusal = refusals(stripped);
    message.content =
      typeof message.content === 'string' && message.content !== ''
        ? `${message.content}\n\n${refusal}`
        : refusal;
    if (kept.length > 0) message.tool_calls = kept;
    else {
      delete message.tool_calls;
      if (choice.finish_reason === 'tool_calls') choice.finish_reason = 'stop';
    }
  }
  return answer;
}
