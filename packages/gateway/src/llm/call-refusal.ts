// Refusals the gateway makes itself (before or beside the guard's decision) go into the audit log
// as `llm.refused`; a refusal that cannot be recorded is still a refusal, and is logged.
import type { CallRef } from './call-audit.js';
import type { CallComponents } from './llm-call.js';

/** Records a refusal; a refusal that cannot be recorded is still a refusal. */
export async function recordRefusal(
  c: CallComponents,
  ref: CallRef,
  code: string,
  detail: string,
): Promise<void> {
  try {
    await c.audit.refused(ref, code, detail);
  } catch (error) {
    c.logger.warn({ err: error, call: ref.call }, 'a refusal could not be recorded');
  }
}
