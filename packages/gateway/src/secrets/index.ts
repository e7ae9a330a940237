// Public face of secrets/: key material from files or the environment, and sealing at rest.
export { seal, unseal } from './sealed-box.js';
export { newSymmetricKeyText, parseSymmetricKey, readOrCreateSecret } from './secret-file.js';
