// What every detector is: a deterministic, pure function from one untrusted value to facts.
// Facts are plain data that the guard hands to Cedar as context, so they use only Cedar-friendly
// values: booleans, strings, safe integers, arrays and records of those (no null, no floats).

/** The kind of an argument, from tool configuration or the tool's JSON Schema. */
export type ArgKind = 'sql' | 'url' | 'path' | 'command';

/** A fact value Cedar can carry. */
export type FactValue =
  boolean | string | number | readonly FactValue[] | { readonly [key: string]: FactValue };

/** Facts from one detector, keyed by fact name. */
export type Facts = { readonly [key: string]: FactValue };
