// Containment notifications (docs/containment.md, "Webhook"): written to an outbox table in the
// store, then delivered by a background dispatcher, so containment never waits for the receiver
// and nothing is lost across a restart. Each delivery is signed the Standard Webhooks way
// (`webhook-id`, `webhook-timestamp`, `webhook-signature`: HMAC-SHA256 with the configured
// `whsec_` secret, by the `standardwebhooks` library). Failures are retried with exponential
// backoff; a claimed row is leased, so a dispatcher that dies mid-delivery leaves it due again, and
// several gateways sharing a store never deliver one row at the same time.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import type { WebhookConfig } from '../config/index.js';
import type { Database, WebhookOutboxRow } from '../store/index.js';

export interface WebhookOutboxOptions {
  readonly db: Kysely<Database>;
  readonly config: WebhookConfig | undefined;
  readonly logger: Pick<Logger, 'warn' | 'error'>;
  readonly now: () => Date;
  /** How often due rows are looked for without a wake-up (default 1 s). */
  readonly pollMs?: number;
}

const BACKOFF_BASE_MS = 1000;
const BACKOFF_MAX_MS = 5 * 60_000;
const BATCH = 20;
const MAX_ERROR = 500;

export class WebhookOutbox {
  readonly #options: WebhookOutboxOptions;
  readonly #signer: Webhook | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(options: WebhookOutboxOptions) {
    this.#options = options;
    this.#signer =
      options.config === undefined ? undefined : new Webhook(options.config.secret.reveal());
  }

  /** Queues a notification (durably); returns its id, or undefined when no webhook is configured. */
  async enqueue(payload: Readonly<Record<string, unknown>>): Promise<string | undefined> {
    if (this.#options.config === undefined) return undefined;
    const now = this.#options.now().toISOString();
    const row: WebhookOutboxRow = {
      id: `msg_${randomUUID()}`,
      body: JSON.stringify(payload),
      created_at: now,
      attempts: 0,
      next_attempt_at: now,
      delivered_at: null,
      given_up_at: null,
      last_error: '',
    };
    await this.#options.db.insertInto('webhook_outbox').values(row).execute();
    this.wake();
    return row.id;
  }

  /** Starts the background dispatcher (a no-op without a webhook). */
  start(): void {
    if (this.#options.config === undefined || this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.wake(), this.#options.pollMs ?? 1000).unref();
    this.wake();
  }

  /** Stops the dispatcher and waits for the delivery in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** Delivers what is due now, in the background. */
  wake(): void {
    if (this.#options.config === undefined) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#running = this.#drain()
      .catch((error: unknown) =>
        this.#options.logger.error({ err: error }, 'webhook outbox could not be read'),
      )
      .finally(() => {
        this.#running = undefined;
        if (this.#again && this.#timer !== undefined) {
          this.#again = false;
          this.wake();
        }
      });
  }

  async #drain(): Promise<void> {
    for (;;) {
      const due = await this.#options.db
        .selectFrom('webhook_outbox')
        .selectAll()
        .where('delivered_at', 'is', null)
        .where('given_up_at', 'is', null)
        .where('next_attempt_at', '<=', this.#options.now().toISOString())
        .orderBy('next_attempt_at')
        .limit(BATCH)
        .execute();
      for (const row of due) if (await this.#claim(row)) await this.#deliver(row);
      if (due.length < BATCH) return;
    }
  }

  /** Takes the row for one attempt: a lease past the delivery timeout, so it is retried if we die. */
  async #claim(row: WebhookOutboxRow): Promise<boolean> {
    const config = this.#options.config as WebhookConfig;
    const lease = new Date(this.#options.now().getTime() + config.timeoutMs * 2 + BACKOFF_BASE_MS);
    const claimed = await this.#options.db
      .updateTable('webhook_outbox')
      .set({ attempts: row.attempts + 1, next_attempt_at: lease.toISOString() })
      .where('id', '=', row.id)
      .where('attempts', '=', row.attempts)
      .where('delivered_at', 'is', null)
      .where('given_up_at', 'is', null)
      .executeTakeFirst();
    return Number(claimed.numUpdatedRows) === 1;
  }

  async #deliver(row: WebhookOutboxRow): Promise<void> {
    const config = this.#options.config as WebhookConfig;
    const attempts = row.attempts + 1;
    const failure = await this.#post(config, row);
    const db = this.#options.db;
    const now = this.#options.now();
    if (failure === undefined) {
      await db
        .updateTable('webhook_outbox')
        .set({ delivered_at: now.toISOString(), last_error: '' })
        .where('id', '=', row.id)
        .execute();
      return;
    }
    const givenUp = attempts >= config.maxAttempts;
    await db
      .updateTable('webhook_outbox')
      .set({
        last_error: failure.slice(0, MAX_ERROR),
        ...(givenUp
          ? { given_up_at: now.toISOString() }
          : { next_attempt_at: new Date(now.getTime() + backoffMs(attempts)).toISOString() }),
      })
      .where('id', '=', row.id)
      .execute();
    if (givenUp)
      this.#options.logger.error(
        { notification: row.id, attempts, failure },
        'a containment notification was given up after its last attempt',
      );
    else
      this.#options.logger.warn(
        { notification: row.id, attempts, failure },
        'a containment notification failed; it will be retried',
      );
  }

  /** One signed POST; undefined on a 2xx, otherwise why it failed. */
  async #post(config: WebhookConfig, row: WebhookOutboxRow): Promise<string | undefined> {
    const signer = this.#signer as Webhook;
    const at = this.#options.now();
    try {
      const response = await fetch(config.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': row.id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signer.sign(row.id, at, row.body),
        },
        body: row.body,
        redirect: 'error',
        signal: AbortSignal.timeout(config.timeoutMs),
      });
      await response.body?.cancel().catch(() => undefined);
      return response.ok ? undefined : `HTTP ${response.status}`;
    } catch (error) {
      return error instanceof Error && error.name === 'TimeoutError'
        ? `no answer within ${config.timeoutMs} ms`
        : `unreachable: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
}

/** Exponential backoff with ±20 % jitter: 1 s, 2 s, 4 s, … up to 5 minutes. */
export function backoffMs(attempts: number): number {
  const base = Math.min(BACKOFF_BASE_MS * 2 ** Math.min(attempts - 1, 20), BACKOFF_MAX_MS);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}
