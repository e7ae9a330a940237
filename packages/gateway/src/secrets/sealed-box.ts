// Authenticated encryption of small secrets at rest: AES-256-GCM with a random 96-bit nonce,
// bound to a context string as associated data so a sealed value cannot be moved to another use.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ZtError } from '../errors.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Encrypts `plaintext` under `key` (32 bytes); output is nonce ‖ ciphertext ‖ tag. */
export function seal(key: Buffer, plaintext: Uint8Array, context: string): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce).setAAD(Buffer.from(context, 'utf8'));
  return Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** Decrypts what seal() made with the same key and context; anything else is `payload-corrupt`. */
export function unseal(key: Buffer, sealed: Uint8Array, context: string): Buffer {
  const box = Buffer.from(sealed);
  if (box.length < NONCE_BYTES + TAG_BYTES) {
    throw new ZtError('payload-corrupt', 'sealed data does not decrypt');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, box.subarray(0, NONCE_BYTES))
      .setAAD(Buffer.from(context, 'utf8'))
      .setAuthTag(box.subarray(box.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(box.subarray(NONCE_BYTES, -TAG_BYTES)),
      decipher.final(),
    ]);
  } catch (cause) {
    throw new ZtError('payload-corrupt', 'sealed data does not decrypt', { cause });
  }
}
