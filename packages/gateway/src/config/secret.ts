// A value that must never be printed: logs, JSON and util.inspect all see a redaction marker. In
// zt4ai.yaml a secret is given inline or as `{env: NAME}`, an environment variable holding it.
import { inspect } from 'node:util';
import { z } from 'zod';
import { ZtError } from '../errors.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** The raw form of a secret in zt4ai.yaml. */
export const secretValue = z.union([
  z
    .string()
    .min(1)
    .max(16 * 1024),
  z.strictObject({ env: z.string().regex(ENV_NAME, 'must be an environment variable name') }),
]);

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself; call only where it is used, never to log or display. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return '[secret]';
  }
}

/** Resolves a raw secret; `at` names its key in errors. */
export function secret(
  value: string | { env: string },
  env: Readonly<Record<string, string | undefined>>,
  at: string,
): Secret {
  if (typeof value === 'string') return new Secret(value);
  const found = env[value.env];
  if (found === undefined || found === '') {
    throw new ZtError('config-invalid', `${at}: environment variable ${value.env} is not set`, {
      detail: { key: at, file: 'environment' },
    });
  }
  return new Secret(found);
}
