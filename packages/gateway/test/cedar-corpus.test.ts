// Cedar's own integration tests (handwritten + generated corpus) through our engine wrapper.
import path from 'node:path';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CedarEngine } from '../src/policy/cedar-engine.js';
import type { CedarRequest } from '../src/policy/cedar-engine.js';
import { ZtError } from '../src/errors.js';
import {
  carriesUnsafeNumber,
  CEDAR_DIR,
  describeDecision,
  extractCorpus,
  listVectorFiles,
  readVector,
  sameSet,
} from './support/cedar-vectors.js';

/**
 * Every DIFFERENTIAL_STRIDE-th corpus file is also run through the official stateless call (which
 * parses schema and policies on every request, hence a sample: ~250 files, ~2,000 requests).
 */
const DIFFERENTIAL_STRIDE = 32;

interface Counts {
  files: number;
  requests: number;
  checked: number;
  outOfRange: number;
  outOfRangeEntityFiles: number;
  validationDrift: number;
  differential: number;
}

/** Runs one vector file; returns human-readable failures. */
function runVector(baseDir: string, file: string, counts: Counts, differential: boolean): string[] {
  const failures: string[] = [];
  const name = path.relative(baseDir, file);
  const { test, policies, schema, entities } = readVector(baseDir, file);
  counts.files++;

  // Validation: shouldValidate says whether the policies validate against the schema (strict).
  // Evaluation: like the reference harness, the schema types entities and requests even when the
  // policies do not validate, so those are evaluated from an unvalidated load.
  const entitiesUnsafe = carriesUnsafeNumber(entities);
  const load = (withEntities: boolean, validatePolicies: boolean): CedarEngine =>
    CedarEngine.load(withEntities ? { policies, schema, entities } : { policies, schema }, {
      validatePolicies,
    });
  let engine: CedarEngine | undefined;
  try {
    const validated = load(test.shouldValidate && !entitiesUnsafe, true);
    if (test.shouldValidate) {
      engine = validated;
    } else if (validated.warnings.length > 0) {
      // Cedar 4.13 reports "unable to find an applicable action" as a warning; the Cedar that
      // generated the corpus reported it as an error. Accepted only with a warning present.
      counts.validationDrift++;
    } else {
      failures.push(`${name}: validated but should not`);
    }
  } catch (error) {
    if (!(error instanceof ZtError) || error.code !== 'policy-invalid') {
      failures.push(`${name}: load threw ${String(error)}`);
      return failures;
    }
    if (test.shouldValidate) failures.push(`${name}: should validate but ${error.message}`);
  }
  let perRequestEntities: unknown;
  if (entitiesUnsafe) {
    counts.outOfRangeEntityFiles++;
    try {
      load(true, test.shouldValidate);
      failures.push(`${name}: loaded entities with unsafe integers`);
    } catch (error) {
      if (!(error instanceof ZtError) || error.code !== 'value-out-of-range') {
        failures.push(`${name}: load with unsafe entities threw ${String(error)}`);
      }
    }
    // The same entities per request must give value-out-of-range for every request.
    perRequestEntities = entities;
  }
  engine ??= load(!entitiesUnsafe, false);

  for (const request of test.requests) {
    counts.requests++;
    const call: CedarRequest = {
      principal: request.principal,
      action: request.action,
      resource: request.resource,
      context: request.context,
    };
    const where = `${name} "${request.description}"`;
    if (request.validateRequest === false)
      failures.push(`${where}: validateRequest=false unsupported`);
    const got = engine.isAuthorized(call, perRequestEntities);
    if (entitiesUnsafe || carriesUnsafeNumber(request.context)) {
      counts.outOfRange++;
      if (got.decision !== 'error' || got.code !== 'value-out-of-range') {
        failures.push(`${where}: expected value-out-of-range, got ${describeDecision(got)}`);
      }
      continue;
    }
    counts.checked++;
    if (
      got.decision !== request.decision ||
      !sameSet(got.policyIds, request.reason) ||
      !sameSet(got.errors, request.errors)
    ) {
      failures.push(
        `${where}: expected ${request.decision} reason=${JSON.stringify(request.reason)} errors=${JSON.stringify(request.errors)}, got ${describeDecision(got)}`,
      );
      continue;
    }
    if (differential) {
      counts.differential++;
      const reference = cedar.isAuthorized({
        principal: request.principal,
        action: request.action,
        resource: request.resource,
        context: request.context as cedar.Context,
        schema,
        validateRequest: true,
        policies: { staticPolicies: policies },
        entities: entities as cedar.Entities,
      });
      const same =
        reference.type === 'success' &&
        reference.response.decision === got.decision &&
        sameSet(reference.response.diagnostics.reason, got.policyIds) &&
        sameSet(
          reference.response.diagnostics.errors.map((e) => e.policyId),
          got.errors,
        );
      if (!same)
        failures.push(`${where}: stateless official call differs: ${JSON.stringify(reference)}`);
    }
  }
  return failures;
}

function emptyCounts(): Counts {
  return {
    files: 0,
    requests: 0,
    checked: 0,
    outOfRange: 0,
    outOfRangeEntityFiles: 0,
    validationDrift: 0,
    differential: 0,
  };
}

/** The corpus runs in slices so the event loop turns between them (finalizers release engines). */
const CORPUS_SLICES = 8;

describe('Cedar integration tests through CedarEngine', () => {
  let corpusDir = '';
  let removeCorpus = (): void => undefined;
  let corpusFiles: string[] = [];
  const corpus = emptyCounts();
  const corpusFailures: string[] = [];
  let corpusMs = 0;

  beforeAll(() => {
    ({ dir: corpusDir, remove: removeCorpus } = extractCorpus('zt4ai-cedar-corpus-'));
    corpusFiles = listVectorFiles(path.join(corpusDir, 'corpus-tests'));
  });

  afterAll(() => {
    removeCorpus();
  }, 180_000);

  it('handwritten tests: every decision, reason and error set matches', () => {
    const counts = emptyCounts();
    const failures = listVectorFiles(path.join(CEDAR_DIR, 'tests')).flatMap((file) =>
      runVector(CEDAR_DIR, file, counts, true),
    );
    console.log('cedar handwritten:', counts);
    expect(failures).toEqual([]);
    expect(counts.files).toBeGreaterThanOrEqual(20);
    expect(counts.checked).toBe(counts.requests);
  });

  for (let slice = 0; slice < CORPUS_SLICES; slice++) {
    it(`generated corpus, slice ${slice + 1}/${CORPUS_SLICES}: decisions match or value-out-of-range`, () => {
      const started = performance.now();
      const size = Math.ceil(corpusFiles.length / CORPUS_SLICES);
      const failures: string[] = [];
      corpusFiles.slice(slice * size, (slice + 1) * size).forEach((file, offset) => {
        const index = slice * size + offset;
        failures.push(...runVector(corpusDir, file, corpus, index % DIFFERENTIAL_STRIDE === 0));
      });
      corpusMs += performance.now() - started;
      corpusFailures.push(...failures);
      expect(failures.slice(0, 20)).toEqual([]);
    }, 120_000);
  }

  it('generated corpus: totals (not vacuous)', () => {
    console.log('cedar corpus:', corpus, `${(corpusMs / 1000).toFixed(1)} s`, {
      rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
    });
    expect(corpusFailures.length).toBe(0);
    // The corpus is ~7,800 tests / ~62,000 requests, some with integers beyond the safe range.
    expect(corpus.files).toBeGreaterThan(7500);
    expect(corpus.requests).toBeGreaterThan(60_000);
    expect(corpus.outOfRange).toBeGreaterThan(0);
    expect(corpus.checked + corpus.outOfRange).toBe(corpus.requests);
    expect(corpus.differential).toBeGreaterThan(1500);
  });
});
