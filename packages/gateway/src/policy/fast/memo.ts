// A bounded least-recently-used memo for compile results keyed by source text. Policy sets are
// compiled once per principal slice, and every slice shares the schema and the general policies:
// parsing them again (≈3 ms for the schema, ≈150 µs per policy with the official parser) would more
// than double the cost of a slice. Compiled results are immutable, so sharing them is safe.

export class BoundedMemo<V> {
  readonly #entries = new Map<string, V>();

  constructor(private readonly limit: number) {}

  /** The remembered value (now the most recently used), or undefined. */
  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  /** Remembers `value`, forgetting the least recently used entry beyond the limit. */
  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.limit) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
  }
}
