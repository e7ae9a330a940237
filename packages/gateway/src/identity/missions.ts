// Missions: versioned manifests saying what an agent is for and how far it may reach. Each version
// is signed by the issuer key, and its digest goes into the agent's certificate.
import { CompactSign } from 'jose';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { ZtError } from '../errors.js';
import type { Database, MissionRow } from '../store/index.js';
import { canonicalDigest, canonicalJson, newId } from './canonical-digest.js';
import type { IssuerKeys } from './issuer-keys.js';

const pattern = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** What an operator writes (mission.yaml); unknown keys are errors. */
export const missionInputSchema = z.strictObject({
  name: z.string().min(1).max(200),
  purpose: z.string().min(1).max(4000),
  allow: z
    .strictObject({
      actions: z.array(pattern).max(500).default(['tools/call']),
      tools: z.array(pattern).max(500).default([]),
    })
    .default({ actions: ['tools/call'], tools: [] }),
  dataClasses: z.array(z.string().min(1).max(100)).max(100).default([]),
  budget: z
    .strictObject({
      limit: z.number().nonnegative().max(1e9),
      currency: z
        .string()
        .regex(/^[A-Z]{3}$/)
        .default('USD'),
      period: z.enum(['day', 'week', 'month']).default('month'),
    })
    .optional(),
  maxGrantTtlSeconds: z
    .number()
    .int()
    .positive()
    .max(30 * 24 * 3600)
    .default(3600),
});
export type MissionInput = z.input<typeof missionInputSchema>;
export type MissionManifest = z.infer<typeof missionInputSchema> & { id: string; version: number };

export interface Mission {
  readonly id: string;
  readonly version: number;
  readonly manifest: MissionManifest;
  readonly digest: string;
  readonly signature: string;
  readonly createdAt: string;
}

export class Missions {
  readonly #db: Kysely<Database>;
  readonly #keys: IssuerKeys;
  readonly #now: () => Date;

  constructor(db: Kysely<Database>, keys: IssuerKeys, now: () => Date) {
    this.#db = db;
    this.#keys = keys;
    this.#now = now;
  }

  /** Validates and signs a new mission (version 1). */
  async create(input: unknown): Promise<Mission> {
    return this.#write(newId('mis'), 1, parseMission(input));
  }

  /** A new signed version of an existing mission. */
  async update(id: string, input: unknown): Promise<Mission> {
    const latest = await this.get(id);
    return this.#write(latest.id, latest.version + 1, parseMission(input));
  }

  /** The latest version (or `version`) of a mission, by id or by unique name. */
  async get(idOrName: string, version?: number): Promise<Mission> {
    let query = this.#db
      .selectFrom('identity_missions')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]));
    if (version !== undefined) query = query.where('version', '=', version);
    const rows = await query.orderBy('version', 'desc').execute();
    const row = rows[0];
    if (row === undefined) throw new ZtError('not-found', `no mission "${idOrName}"`);
    if (rows.some((r) => r.id !== row.id))
      throw new ZtError('invalid-argument', `several missions are named "${idOrName}"; use the id`);
    return toMission(row);
  }

  /** The latest version of every mission. */
  async list(): Promise<Mission[]> {
    const rows = await this.#db
      .selectFrom('identity_missions')
      .selectAll()
      .orderBy('id')
      .orderBy('version', 'desc')
      .execute();
    const latest = new Map<string, MissionRow>();
    for (const row of rows) if (!latest.has(row.id)) latest.set(row.id, row);
    return [...latest.values()].map(toMission);
  }

  async #write(
    id: string,
    version: number,
    input: z.infer<typeof missionInputSchema>,
  ): Promise<Mission> {
    const manifest: MissionManifest = { ...input, id, version };
    const text = canonicalJson(manifest);
    const signer = await this.#keys.signer();
    const signature = await new CompactSign(new TextEncoder().encode(text))
      .setProtectedHeader({ alg: 'EdDSA', typ: 'mission+jws', kid: signer.kid })
      .sign(signer.privateKey);
    const row: MissionRow = {
      id,
      version,
      name: manifest.name,
      manifest: text,
      digest: canonicalDigest(manifest),
      signature,
      created_at: this.#now().toISOString(),
    };
    await this.#db.insertInto('identity_missions').values(row).execute();
    return toMission(row);
  }
}

export function parseMission(input: unknown): z.infer<typeof missionInputSchema> {
  const result = missionInputSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.join('.') ?? '';
  const unknown = issue?.code === 'unrecognized_keys' ? ` "${issue.keys.join('", "')}"` : '';
  throw new ZtError(
    'invalid-argument',
    `mission: ${where}${unknown} ${issue?.message ?? 'invalid'}`.trim(),
  );
}

function toMission(row: MissionRow): Mission {
  return {
    id: row.id,
    version: row.version,
    manifest: JSON.parse(row.manifest) as MissionManifest,
    digest: row.digest,
    signature: row.signature,
    createdAt: row.created_at,
  };
}
