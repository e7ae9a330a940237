// Anthropic Messages API (`POST /v1/messages`): its binding (system, tools and MCP servers,
// parameters), its bounds (`max_tokens` is required there), and the answer's content blocks —
// text, thinking (and redacted thinking), and the `tool_use` blocks the model proposes.
import type { LlmProviderKind } from '../config/index.js';
import { AnthropicStream, blockCall } from './anthropic-messages-stream.js';
import { boundParams } from './bound-params.js';
import { contentText, isRecord, type JsonRecord, omit, records } from './json-values.js';
import { neutralTool, offered } from './neutral-tools.js';
import {
  addText,
  type CallVerdict,
  type InspectedRequest,
  type LlmProtocol,
  newTranscript,
  type Transcript,
} from './protocol.js';
import {
  arrayField,
  booleanField,
  messageList,
  modelField,
  positiveIntField,
  refuse,
} from './request-fields.js';
import { refusalText } from './tool-call-screen.js';
import { toolName } from './tool-names.js';
import { anthropicUsage } from './token-usage.js';

const TEXT_BLOCKS = new Set(['text']);
/** Fields by which a request draws on state kept by the provider (a code-execution container). */
const SERVER_CONTEXT = ['container'] as const;

export const anthropicMessages: LlmProtocol = {
  endpoint: 'messages',
  accepts: (kind: LlmProviderKind) => kind === 'anthropic',
  inspect,
  upstreamBody: (body) => ({ ...body }),
  readAnswer,
  applyVerdicts,
  stream: (screen) => new AnthropicStream(screen),
};

function inspect(body: JsonRecord, namespace: string): InspectedRequest {
  const model = modelField(body);
  const maxTokens = positiveIntField(body, 'max_tokens');
  if (maxTokens === undefined) refuse('"max_tokens" is required');
  const messages = messageList(body, 'messages');
  if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system))
    refuse('"system" must be a string or an array of text blocks');
  const thinking = isRecord(body.thinking) ? body.thinking.type : undefined;
  const choice = isRecord(body.tool_choice) ? body.tool_choice : undefined;
  return {
    model,
    stream: booleanField(body, 'stream'),
    prompt: {
      system: contentText(body.system ?? '', TEXT_BLOCKS),
      tools: offered(anthropicTools(body, namespace)),
      params: boundParams({
        temperature: body.temperature,
        top_p: body.top_p,
        top_k: body.top_k,
        stop: body.stop_sequences,
        thinking,
        tool_choice: anthropicToolChoice(choice, namespace),
        parallel_tool_calls: choice?.disable_parallel_tool_use === true ? false : undefined,
      }),
    },
    maxOutputTokens: maxTokens,
    choices: 1,
    serverContext: SERVER_CONTEXT.find((key) => body[key] !== undefined && body[key] !== null),
    conversationSeed: messages[0]?.content,
    wantsStreamUsage: true,
  };
}

/**
 * Client tools in the neutral form; server tools (typed, e.g. `web_search_20250305`) as given, less
 * the caching hint; MCP servers (`mcp_servers`) too, less their token: what the model can reach.
 */
function anthropicTools(body: JsonRecord, namespace: string): unknown[] {
  const tools = arrayField(body, 'tools').map((tool, index) => {
    if (!isRecord(tool)) refuse(`"tools[${index}]" must be an object`);
    if (tool.type === undefined || tool.type === null || tool.type === 'custom')
      return neutralTool(tool, 'input_schema', namespace);
    return omit(tool, 'cache_control');
  });
  const servers = arrayField(body, 'mcp_servers').map((server) => ({
    type: 'mcp_server',
    server: omit(isRecord(server) ? server : {}, 'authorization_token'),
  }));
  return [...tools, ...servers];
}

function anthropicToolChoice(choice: JsonRecord | undefined, namespace: string): unknown {
  if (choice === undefined) return undefined;
  if (choice.type === 'auto') return 'auto';
  if (choice.type === 'any') return 'required';
  if (choice.type === 'none') return 'none';
  if (choice.type === 'tool' && typeof choice.name === 'string')
    return { name: toolName(choice.name, namespace) };
  return choice;
}

function readAnswer(answer: JsonRecord): Transcript {
  const transcript = newTranscript();
  transcript.responseId = typeof answer.id === 'string' ? answer.id : undefined;
  transcript.usage = anthropicUsage(answer.usage);
  if (typeof answer.stop_reason === 'string') transcript.finish.push(answer.stop_reason);
  for (const [index, block] of records(answer.content).entries()) {
    if (block.type === 'text') addText(transcript, 'text', block.text);
    else if (block.type === 'thinking') addText(transcript, 'reasoning', block.thinking);
    else if (block.type === 'redacted_thinking')
      addText(transcript, 'reasoning', '[redacted thinking]');
    else if (block.type === 'tool_use') {
      const call = blockCall(block, index, JSON.stringify(block.input ?? {}));
      transcript.calls.push(call);
      transcript.outputBytes += Buffer.byteLength(call.arguments);
    }
  }
  return transcript;
}

function applyVerdicts(answer: JsonRecord, verdicts: readonly CallVerdict[]): JsonRecord {
  const content = answer.content;
  if (!Array.isArray(content)) return answer;
  let stripped = 0;
  for (const verdict of verdicts) {
    if (verdict.action !== 'strip') continue;
    content[Number(verdict.call.key)] = { type: 'text', text: refusalText(verdict) };
    stripped += 1;
  }
  const toolUseLeft = records(content).some((block) => block.type === 'tool_use');
  if (stripped > 0 && !toolUseLeft && answer.stop_reason === 'tool_use')
    answer.stop_reason = 'end_turn';
  return answer;
}
