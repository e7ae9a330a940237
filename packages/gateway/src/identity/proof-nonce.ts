// Server nonces for issuance proofs (RFC 9449 §8), stateless: a timestamp and its HMAC under a key
// derived from the master key, so any process sharing the master key accepts any process's nonce.
// Replay of a whole proof is stopped by its single-use `jti`; the nonce bounds its age.
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

const TAG_BYTES = 16;
const VALID_SECONDS = 120;
const FUTURE_SLACK_SECONDS = 5;

export class ProofNonces {
  readonly #key: Buffer;
  readonly #now: () => Date;

  constructor(masterKey: Buffer, now: () => Date) {
    this.#key = Buffer.from(
      hkdfSync('sha256', masterKey, Buffer.alloc(0), 'zt4ai proof-nonce v1', 32),
    );
    this.#now = now;
  }

  issue(): string {
    const time = Buffer.alloc(8);
    time.writeBigUInt64BE(BigInt(Math.floor(this.#now().getTime() / 1000)));
    return Buffer.concat([time, this.#tag(time)]).toString('base64url');
  }

  /** True for a nonce this key issued within the last two minutes. */
  accepts(nonce: string | undefined): boolean {
    if (nonce === undefined || !/^[A-Za-z0-9_-]{32}$/.test(nonce)) return false;
    const bytes = Buffer.from(nonce, 'base64url');
    const time = bytes.subarray(0, 8);
    if (!timingSafeEqual(bytes.subarray(8), this.#tag(time))) return false;
    const age = this.#now().getTime() / 1000 - Number(time.readBigUInt64BE());
    return age <= VALID_SECONDS && age >= -FUTURE_SLACK_SECONDS;
  }

  #tag(time: Buffer): Buffer {
    return createHmac('sha256', this.#key).update(time).digest().subarray(0, TAG_BYTES);
  }
}
