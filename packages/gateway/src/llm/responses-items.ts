// Output items of the Responses API: which are calls the agent is to execute, what each adds to a
// transcript, and the assistant message that takes the place of a stripped call.
import { newId } from '../identity/index.js';
import { type JsonRecord, records } from './json-values.js';
import { addText, type ProposedCall, type Transcript } from './protocol.js';

/** Output items that are calls the agent is to execute (hosted tools run at the provider). */
export const CALL_ITEMS = new Set(['function_call', 'custom_tool_call']);

/** One output item into the transcript (also used for the items of a streamed `response.completed`). */
export function readItem(transcript: Transcript, item: JsonRecord, index: number): void {
  if (item.type === 'message') {
    for (const part of records(item.content)) {
      addText(transcript, 'text', part.text);
      addText(transcript, 'text', part.refusal);
    }
  } else if (item.type === 'reasoning') {
    for (const part of [...records(item.summary), ...records(item.content)])
      addText(transcript, 'reasoning', part.text);
  } else if (CALL_ITEMS.has(String(item.type))) {
    const call = itemCall(item, index);
    transcript.calls.push(call);
    transcript.outputBytes += Buffer.byteLength(call.arguments);
  }
}

export function itemCall(item: JsonRecord, index: number): ProposedCall {
  const args = item.type === 'custom_tool_call' ? item.input : item.arguments;
  return {
    key: String(index),
    id: typeof item.call_id === 'string' ? item.call_id : '',
    name: typeof item.name === 'string' ? item.name : '',
    arguments: typeof args === 'string' ? args : '',
  };
}

/** An assistant message item holding a refusal, in place of a stripped call. */
export function refusalMessage(text: string, status = 'completed'): JsonRecord {
  return {
    id: newId('msg_zt4ai'),
    type: 'message',
    status,
    role: 'assistant',
    content: status === 'completed' ? [outputText(text)] : [],
  };
}

export function outputText(text: string): JsonRecord {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}
