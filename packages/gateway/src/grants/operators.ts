// Operators and their roles (admin, approver, auditor, viewer). Only an approver (or admin) may
// decide grant requests. Agents are never operators.
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { ZtError } from '../errors.js';
import type { Database, OperatorRole } from '../store/index.js';

export const OPERATOR_ROLES: readonly OperatorRole[] = ['admin', 'approver', 'auditor', 'viewer'];
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$/;

export interface Operator {
  readonly name: string;
  readonly roles: readonly OperatorRole[];
}

/** An operator as listed: with who manages it (`oidc`: its roles come from the identity provider). */
export interface ListedOperator extends Operator {
  readonly source: 'local' | 'oidc';
}

export class Operators {
  readonly #db: Kysely<Database>;
  readonly #now: () => Date;

  constructor(db: Kysely<Database>, now: () => Date) {
    this.#db = db;
    this.#now = now;
  }

  /** Creates or replaces an operator's roles. */
  async set(name: string, roles: readonly string[]): Promise<Operator> {
    const row = this.#row(name, roles, 'local');
    await this.#db
      .insertInto('operators')
      .values(row)
      .onConflict((oc) => oc.column('name').doUpdateSet({ roles: row.roles }))
      .execute();
    return { name, roles: JSON.parse(row.roles) as OperatorRole[] };
  }

  /**
   * Creates or replaces the roles of an operator the identity provider manages. Undefined, and
   * nothing changed, when a local operator has that name: a provider account never takes it over.
   */
  async setFromIdentityProvider(
    name: string,
    roles: readonly string[],
  ): Promise<Operator | undefined> {
    const row = this.#row(name, roles, 'oidc');
    const written = await this.#db
      .insertInto('operators')
      .values(row)
      .onConflict((oc) =>
        oc.column('name').doUpdateSet({ roles: row.roles }).where('operators.source', '=', 'oidc'),
      )
      .returning('name')
      .executeTakeFirst();
    return written === undefined
      ? undefined
      : { name, roles: JSON.parse(row.roles) as OperatorRole[] };
  }

  #row(name: string, roles: readonly string[], source: 'local' | 'oidc') {
    if (!NAME.test(name) || name.startsWith('agent:'))
      throw new ZtError('invalid-argument', 'invalid operator name');
    const parsed = z
      .array(z.enum(['admin', 'approver', 'auditor', 'viewer']))
      .min(1)
      .safeParse(roles);
    if (!parsed.success)
      throw new ZtError('invalid-argument', `roles must be some of ${OPERATOR_ROLES.join(', ')}`);
    return {
      name,
      roles: JSON.stringify([...new Set(parsed.data)].sort()),
      created_at: this.#now().toISOString(),
      source,
    };
  }

  async get(name: string): Promise<Operator | undefined> {
    const row = await this.#db
      .selectFrom('operators')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row === undefined
      ? undefined
      : { name: row.name, roles: JSON.parse(row.roles) as OperatorRole[] };
  }

  async list(): Promise<ListedOperator[]> {
    const rows = await this.#db.selectFrom('operators').selectAll().orderBy('name').execute();
    return rows.map((row) => ({
      name: row.name,
      roles: JSON.parse(row.roles) as OperatorRole[],
      source: row.source,
    }));
  }

  /** Throws forbidden unless `name` is an operator with the admin role. */
  async requireAdmin(name: string): Promise<void> {
    const operator = name.startsWith('agent:') ? undefined : await this.get(name);
    if (operator === undefined || !operator.roles.includes('admin'))
      throw new ZtError('forbidden', `${name} does not have the admin role`);
  }

  /** Throws not-an-approver unless `name` is an operator with the approver or admin role. */
  async requireApprover(name: string): Promise<void> {
    const operator = name.startsWith('agent:') ? undefined : await this.get(name);
    if (operator === undefined || !operator.roles.some((r) => r === 'approver' || r === 'admin')) {
      throw new ZtError('not-an-approver', `${name} does not have the approver role`);
    }
  }
}
