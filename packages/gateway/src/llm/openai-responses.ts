// OpenAI Responses API (`POST /v1/responses`): its binding (instructions, system and developer
// input messages, tools, parameters), server-side context (`previous_response_id`,
// `conversation`, stored `prompt`s), and the answer's output items — messages, reasoning summaries
// and text, and the function calls the model proposes.
import type { LlmProviderKind } from '../config/index.js';
import { boundParams } from './bound-params.js';
import { contentText, isRecord, type JsonRecord, records } from './json-values.js';
import { neutralTool, offered } from './neutral-tools.js';
import { ResponsesStream } from './openai-responses-stream.js';
import {
  type CallVerdict,
  type InspectedRequest,
  type LlmProtocol,
  newTranscript,
  type Transcript,
} from './protocol.js';
import { readItem, refusalMessage } from './responses-items.js';
import {
  arrayField,
  booleanField,
  modelField,
  positiveIntField,
  refuse,
} from './request-fields.js';
import { refusalText } from './tool-call-screen.js';
import { toolName } from './tool-names.js';
import { responsesUsage } from './token-usage.js';

const INSTRUCTION_ROLES = new Set(['system', 'developer']);
const TEXT_PARTS = new Set(['input_text', 'text']);
/** Fields by which a request draws on context kept by the provider. */
const SERVER_CONTEXT = ['previous_response_id', 'conversation', 'prompt'] as const;

export const openaiResponses: LlmProtocol = {
  endpoint: 'responses',
  accepts: (kind: LlmProviderKind) => kind !== 'anthropic',
  inspect,
  upstreamBody(body, _inspected, options) {
    const upstream: JsonRecord = { ...body };
    if (options.maxOutputTokens !== undefined) upstream.max_output_tokens = options.maxOutputTokens;
    return upstream;
  },
  readAnswer,
  applyVerdicts,
  stream: (screen) => new ResponsesStream(screen),
};

function inspect(body: JsonRecord, namespace: string): InspectedRequest {
  const model = modelField(body);
  if (booleanField(body, 'background'))
    refuse('background responses are not supported by the gateway (their usage is not metered)');
  const input = body.input;
  if (input !== undefined && typeof input !== 'string' && !Array.isArray(input))
    refuse('"input" must be a string or an array of items');
  const items = typeof input === 'string' ? [] : records(input);
  if (
    body.instructions !== undefined &&
    body.instructions !== null &&
    typeof body.instructions !== 'string'
  )
    refuse('"instructions" must be a string');
  const messages = items.filter((item) => item.type === undefined || item.type === 'message');
  const text = isRecord(body.text) ? body.text : {};
  const reasoning = isRecord(body.reasoning) ? body.reasoning : {};
  return {
    model,
    stream: booleanField(body, 'stream'),
    prompt: {
      system: [
        ...(typeof body.instructions === 'string' ? [body.instructions] : []),
        ...messages
          .filter((m) => INSTRUCTION_ROLES.has(String(m.role)))
          .map((m) => contentText(m.content, TEXT_PARTS)),
      ].join('\n\n'),
      tools: offered(responsesTools(body, namespace)),
      params: boundParams({
        temperature: body.temperature,
        top_p: body.top_p,
        reasoning_effort: reasoning.effort,
        verbosity: text.verbosity,
        response_format: text.format,
        tool_choice: responsesToolChoice(body.tool_choice, namespace),
        parallel_tool_calls: body.parallel_tool_calls,
      }),
    },
    maxOutputTokens: positiveIntField(body, 'max_output_tokens'),
    choices: 1,
    serverContext: SERVER_CONTEXT.find((key) => body[key] !== undefined && body[key] !== null),
    conversationSeed:
      typeof input === 'string'
        ? input
        : messages.find((m) => !INSTRUCTION_ROLES.has(String(m.role)))?.content,
    wantsStreamUsage: true,
  };
}

function responsesTools(body: JsonRecord, namespace: string): unknown[] {
  return arrayField(body, 'tools').map((tool, index) => {
    if (!isRecord(tool)) refuse(`"tools[${index}]" must be an object`);
    if (tool.type === 'function') return neutralTool(tool, 'parameters', namespace);
    if (tool.type === 'custom')
      return { type: 'custom', ...neutralTool(tool, 'format', namespace) };
    return tool;
  });
}

function responsesToolChoice(choice: unknown, namespace: string): unknown {
  if (
    isRecord(choice) &&
    (choice.type === 'function' || choice.type === 'custom') &&
    typeof choice.name === 'string'
  )
    return { name: toolName(choice.name, namespace) };
  return choice;
}

function readAnswer(answer: JsonRecord): Transcript {
  const transcript = newTranscript();
  transcript.responseId = typeof answer.id === 'string' ? answer.id : undefined;
  transcript.usage = responsesUsage(answer.usage);
  if (typeof answer.status === 'string') transcript.finish.push(answer.status);
  for (const [index, item] of records(answer.output).entries()) readItem(transcript, item, index);
  return transcript;
}

function applyVerdicts(answer: JsonRecord, verdicts: readonly CallVerdict[]): JsonRecord {
  const output = answer.output;
  if (!Array.isArray(output)) return answer;
  for (const verdict of verdicts) {
    if (verdict.action !== 'strip') continue;
    const index = Number(verdict.call.key);
    output[index] = refusalMessage(refusalText(verdict));
  }
  return answer;
}
