// Test signer for C2SP signed notes, built on @noble/curves (the package under test only verifies).
import { ed25519 } from '@noble/curves/ed25519.js';
import { encodeVerifierKey, noteKeyId, toBase64 } from '../src/index.js';

/** A test log key: its verifier key string and a function producing one signature line. */
export interface TestKey {
  name: string;
  publicKey: Uint8Array;
  vkey: string;
  /** The signature line `— name base64(keyId || sig)\n` over `text`. */
  signatureLine(text: string): string;
}

/** Creates an Ed25519 key; deterministic when `seed` (32 bytes) is given. */
export function testKey(name: string, seed?: Uint8Array): TestKey {
  const secretKey = seed ?? ed25519.utils.randomSecretKey();
  const publicKey = ed25519.getPublicKey(secretKey);
  const keyId = noteKeyId(name, publicKey);
  return {
    name,
    publicKey,
    vkey: encodeVerifierKey(name, publicKey),
    signatureLine(text: string): string {
      const sig = ed25519.sign(new TextEncoder().encode(text), secretKey);
      return `\u2014 ${name} ${toBase64(Uint8Array.of(...keyId, ...sig))}\n`;
    },
  };
}

/** Signs `text` (which must end in a newline) with each key, in order. */
export function signNote(text: string, ...keys: TestKey[]): string {
  return `${text}\n${keys.map((k) => k.signatureLine(text)).join('')}`;
}

/** A fixed 32-byte seed for reproducible keys. */
export function seed(byte: number): Uint8Array {
  return new Uint8Array(32).fill(byte);
}
