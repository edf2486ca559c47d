/**
 * A bijection between external string IDs (what the user's files say) and dense integers 0..n-1
 * (what arrays are indexed by). Every artifact that holds internal indices carries its IdMap, so
 * results and recommendations can always be reported in the user's IDs.
 */
export class IdMap {
  readonly #external: string[];
  readonly #index: Map<string, number>;

  constructor(external: readonly string[] = []) {
    this.#external = [];
    this.#index = new Map();
    for (const id of external) this.add(id);
  }

  /** An IdMap for IDs that are already 0..n-1 (the LightGCN format, synthetic data). */
  static range(n: number): IdMap {
    const ids = new Array<string>(n);
    for (let i = 0; i < n; i++) ids[i] = String(i);
    return new IdMap(ids);
  }

  get size(): number {
    return this.#external.length;
  }

  /** Returns the dense index of `id`, adding it when new. */
  add(id: string): number {
    const found = this.#index.get(id);
    if (found !== undefined) return found;
    const i = this.#external.length;
    this.#external.push(id);
    this.#index.set(id, i);
    return i;
  }

  /** The dense index of an external ID, or undefined. */
  get(id: string): number | undefined {
    return this.#index.get(id);
  }

  has(id: string): boolean {
    return this.#index.has(id);
  }

  /** The external ID of a dense index; throws on an out-of-range index. */
  external(i: number): string {
    const id = this.#external[i];
    if (id === undefined) throw new RangeError(`index ${i} is outside the ID map (size ${this.size})`);
    return id;
  }

  toArray(): readonly string[] {
    return this.#external;
  }

  toJSON(): string[] {
    return [...this.#external];
  }

  static fromJSON(ids: unknown): IdMap {
    if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string')) {
      throw new TypeError('an ID map must be a JSON array of strings');
    }
    return new IdMap(ids as string[]);
  }
}
