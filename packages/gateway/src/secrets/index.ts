// Public face of secrets/: key material from files or the environment.
export { newSymmetricKeyText, parseSymmetricKey, readOrCreateSecret } from './secret-file.js';
