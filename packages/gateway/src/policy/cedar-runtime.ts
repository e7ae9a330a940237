// Owns the cedar-wasm instance and replaces it after a trap: a trapped instance is not reusable.
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import type * as CedarWasm from '@cedar-policy/cedar-wasm/nodejs';

/** The part of the official binding the engine uses. */
export type CedarBindings = Pick<
  typeof CedarWasm,
  | 'checkParseEntities'
  | 'checkParsePolicySet'
  | 'policySetTextToParts'
  | 'preparsePolicySet'
  | 'preparseSchema'
  | 'statefulIsAuthorized'
  | 'validate'
>;

/**
 * A source of Cedar bindings that can be restarted.
 *
 * Why: a stack overflow inside the wasm module (for example a policy nested a few hundred levels
 * deep) leaves its linear memory corrupt; every later call then fails with "memory access out of
 * bounds". After any throw from a binding the caller MUST call `fault()`, which drops the instance;
 * the next `bindings()` makes a fresh one and bumps `generation`, so preparsed policy sets and
 * schemas (which live inside the instance) are known to be gone and get parsed again.
 */
export interface CedarRuntime {
  readonly generation: number;
  bindings(): CedarBindings;
  fault(): void;
}

/** A restartable runtime over any loader of bindings (tests inject failing ones). */
export function createCedarRuntime(load: () => CedarBindings): CedarRuntime {
  let current: CedarBindings | undefined;
  let generation = 0;
  return {
    get generation() {
      return generation;
    },
    bindings() {
      if (current === undefined) {
        current = load();
        generation++;
      }
      return current;
    },
    fault() {
      current = undefined;
    },
  };
}

const require = createRequire(import.meta.url);

// Node 20's optimizing compiler can abort the whole process ("unreachable code" in the deoptimizer)
// when it inlines calls into this wasm module and later deoptimizes them; it was reproduced by
// interleaving policy parsing and authorization calls. Not inlining JS→wasm calls avoids it, at no
// measurable cost (each call is ~100 µs of wasm work). Set before the first instance is created.
setFlagsFromString('--no-turbo-inline-js-wasm-calls');

/** Loads a new instance of the official binding (the CommonJS build instantiates on require). */
function loadWasmBindings(): CedarBindings {
  const id = require.resolve('@cedar-policy/cedar-wasm/nodejs');
  // Dropping the cache entry is what gives a fresh WebAssembly.Instance (fresh memory).
  delete require.cache[id];
  return require(id) as typeof CedarWasm;
}

/** The process-wide runtime over the official `@cedar-policy/cedar-wasm` Node build. */
export const wasmRuntime: CedarRuntime = createCedarRuntime(loadWasmBindings);
