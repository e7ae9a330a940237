// The only wasm calls of the fast path, all at compile time: the official parser turns one policy
// into its JSON form (EST) and a schema into JSON with resolved type names. Parsing stays official so
// the fast path never disagrees with Cedar about what a policy or schema says.
import type * as CedarWasm from '@cedar-policy/cedar-wasm/nodejs';
import { wasmRuntime } from '../cedar-runtime.js';

/** The official binding; the process-wide runtime loads the whole module, not only the engine's part. */
function bindings(): typeof CedarWasm {
  return wasmRuntime.bindings() as typeof CedarWasm;
}

/**
 * Calls one parser function with one argument. A throw means the wasm instance may be corrupt (a
 * trap): the runtime MUST be faulted so the engine gets a fresh instance, and the fast path gives
 * up on this input.
 *
 * The call goes through a Proxy on purpose. Node 20's V8 inlines JS→wasm calls into optimized
 * callers; when such a caller is deoptimized during the call (the objects the parser builds can
 * invalidate its code), the process aborts ("Fatal error … unreachable code" in
 * Deoptimizer::DoComputeBuiltinContinuation). Reproduced by the random differential test; gone
 * with --no-turbo-inline-js-wasm-calls. Optimizing compilers do not inline calls through a Proxy,
 * so no frame of ours ever holds an inlined wasm call.
 */
function parse<K extends 'policyToJson' | 'schemaToJsonWithResolvedTypes'>(
  name: K,
  text: string,
): ReturnType<(typeof CedarWasm)[K]> | undefined {
  try {
    const target = bindings()[name] as (text: string) => ReturnType<(typeof CedarWasm)[K]>;
    const opaque = new Proxy(target, {});
    return opaque(text);
  } catch {
    wasmRuntime.fault();
    return undefined;
  }
}

/** The EST of one static policy, or undefined when Cedar does not parse it as exactly one policy. */
export function policyToEst(text: string): unknown {
  const answer = parse('policyToJson', text);
  return answer?.type === 'success' ? answer.json : undefined;
}

/** The schema as JSON with every type name resolved (common vs entity types), or undefined. */
export function schemaToResolvedJson(text: string): unknown {
  const answer = parse('schemaToJsonWithResolvedTypes', text);
  return answer?.type === 'success' ? answer.json : undefined;
}
