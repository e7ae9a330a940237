// Size bounds applied to every untrusted input (DESIGN §8: "parse, bound its size").

/** Longest accepted inclusion or consistency proof; a tree of 2^53 leaves needs at most 54. */
export const MAX_PROOF_HASHES = 64;
/** Largest accepted signed note, in UTF-8 bytes. */
export const MAX_NOTE_BYTES = 1024 * 1024;
/** Most signatures accepted on one note (C2SP signed-note asks for at least 16). */
export const MAX_SIGNATURES = 100;
/** Longest accepted verifier key string. */
export const MAX_VERIFIER_KEY_CHARS = 1024;
/** Most entries accepted in one audit bundle. */
export const MAX_BUNDLE_ENTRIES = 100_000;
/** Largest accepted audit-bundle entry, in UTF-8 bytes. */
export const MAX_ENTRY_BYTES = 1024 * 1024;
