// The log's Ed25519 checkpoint key, kept as a C2SP signed-note signer key
// ("PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>"), and the signing of checkpoints.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto';
import { encodeVerifierKey, noteKeyId, toBase64 } from '@zt4ai/verify';
import type { KeySource } from '../config/index.js';
import { ZtError } from '../errors.js';
import { readOrCreateSecret } from '../secrets/index.js';

const ED25519_ALG = 0x01;
/** PKCS#8 prefix of an Ed25519 private key (RFC 8410 §7); the 32-byte seed follows. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface LogSigner {
  /** The key name, which is also the checkpoint origin line. */
  readonly name: string;
  readonly publicKey: Uint8Array;
  /** C2SP verifier key: name+keyid+base64(0x01||pubkey). */
  readonly vkey: string;
  /** Returns the signed note: `body`, a blank line and one signature line. */
  signNote(body: string): string;
}

/** Loads the log key from its source, generating it (named `origin`) on first start. */
export function loadLogSigner(source: KeySource, origin: string): LogSigner {
  const text = readOrCreateSecret(source, () => newSignerKeyText(origin));
  return signerFromText(text);
}

function newSignerKeyText(name: string): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = privateKey
    .export({ format: 'der', type: 'pkcs8' })
    .subarray(PKCS8_ED25519_PREFIX.length);
  const publicKey = rawPublicKey(privateKey);
  const keyId = Buffer.from(noteKeyId(name, publicKey)).toString('hex');
  const encoded = Buffer.concat([Buffer.from([ED25519_ALG]), seed]).toString('base64');
  return `PRIVATE+KEY+${name}+${keyId}+${encoded}`;
}

function signerFromText(text: string): LogSigner {
  const invalid = (): ZtError =>
    new ZtError('key-file-invalid', 'the audit log signing key is malformed');
  // The base64 part may itself contain "+": split off the four leading fields only.
  const match = /^PRIVATE\+KEY\+([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+={0,2})$/.exec(text);
  if (match === null) throw invalid();
  const [, name = '', keyIdHex = '', encoded = ''] = match;
  const raw = Buffer.from(encoded, 'base64');
  if (
    name === '' ||
    raw.length !== 33 ||
    raw[0] !== ED25519_ALG ||
    raw.toString('base64') !== encoded
  ) {
    throw invalid();
  }
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, raw.subarray(1)]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = rawPublicKey(privateKey);
  const keyId = noteKeyId(name, publicKey);
  if (Buffer.from(keyId).toString('hex') !== keyIdHex) throw invalid();
  return {
    name,
    publicKey,
    vkey: encodeVerifierKey(name, publicKey),
    signNote: (body) => signNote(body, name, keyId, privateKey),
  };
}

function signNote(body: string, name: string, keyId: Uint8Array, key: KeyObject): string {
  const signature = sign(null, Buffer.from(body, 'utf8'), key);
  const blob = toBase64(Buffer.concat([keyId, signature]));
  return `${body}\n\u2014 ${name} ${blob}\n`;
}

function rawPublicKey(privateKey: KeyObject): Uint8Array {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return Buffer.from(jwk.x ?? '', 'base64url');
}
