import { IdMap, type Interactions, makeInteractions } from '@embrec/core';

/** Which optional columns the built interactions carry. */
export interface BuilderColumns {
  readonly ratings?: boolean;
  readonly timestamps?: boolean;
  readonly weights?: boolean;
}

function grow<T extends Int32Array | Float32Array | Float64Array>(a: T, n: number): T {
  if (n <= a.length) return a;
  const out = new (a.constructor as new (n: number) => T)(Math.max(n, a.length * 2));
  out.set(a);
  return out;
}

/**
 * Appends interaction rows given by external IDs (or dense indices) and builds `Interactions`.
 * The ID maps may be shared between several builders (train/valid/test of one dataset).
 */
export class InteractionsBuilder {
  readonly userIds: IdMap;
  readonly itemIds: IdMap;
  readonly #cols: BuilderColumns;
  #n = 0;
  #users = new Int32Array(1024);
  #items = new Int32Array(1024);
  #ratings = new Float32Array(0);
  #timestamps = new Float64Array(0);
  #weights = new Float32Array(0);

  constructor(opts: { userIds?: IdMap; itemIds?: IdMap; columns?: BuilderColumns } = {}) {
    this.userIds = opts.userIds ?? new IdMap();
    this.itemIds = opts.itemIds ?? new IdMap();
    this.#cols = opts.columns ?? {};
    if (this.#cols.ratings) this.#ratings = new Float32Array(1024);
    if (this.#cols.timestamps) this.#timestamps = new Float64Array(1024);
    if (this.#cols.weights) this.#weights = new Float32Array(1024);
  }

  get size(): number {
    return this.#n;
  }

  /** Appends a row by external IDs (new IDs are added to the maps). */
  add(
    user: string,
    item: string,
    values: { rating?: number; timestamp?: number; weight?: number } = {},
  ): void {
    this.addIndex(this.userIds.add(user), this.itemIds.add(item), values);
  }

  /** Appends a row by external IDs with positional values (no per-row object: the fast path for big files). */
  addRow(user: string, item: string, rating = Number.NaN, timestamp = Number.NaN, weight = 1): void {
    this.addIndex(this.userIds.add(user), this.itemIds.add(item), undefined, rating, timestamp, weight);
  }

  /** Appends a row by dense indices (which must already exist in the maps by build time). */
  addIndex(
    u: number,
    i: number,
    values?: { rating?: number; timestamp?: number; weight?: number },
    rating = values?.rating ?? Number.NaN,
    timestamp = values?.timestamp ?? Number.NaN,
    weight = values?.weight ?? 1,
  ): void {
    const n = this.#n;
    if (n >= this.#users.length) {
      this.#users = grow(this.#users, n + 1);
      this.#items = grow(this.#items, n + 1);
      if (this.#cols.ratings) this.#ratings = grow(this.#ratings, n + 1);
      if (this.#cols.timestamps) this.#timestamps = grow(this.#timestamps, n + 1);
      if (this.#cols.weights) this.#weights = grow(this.#weights, n + 1);
    }
    this.#users[n] = u;
    this.#items[n] = i;
    if (this.#cols.ratings) this.#ratings[n] = rating;
    if (this.#cols.timestamps) this.#timestamps[n] = timestamp;
    if (this.#cols.weights) this.#weights[n] = weight;
    this.#n = n + 1;
  }

  build(): Interactions {
    const n = this.#n;
    for (let r = 0; r < n; r++) {
      if (this.#users[r]! >= this.userIds.size || this.#items[r]! >= this.itemIds.size)
        throw new RangeError(`row ${r} refers to an index outside the ID maps`);
    }
    return makeInteractions({
      userIds: this.userIds,
      itemIds: this.itemIds,
      users: this.#users.slice(0, n),
      items: this.#items.slice(0, n),
      ratings: this.#cols.ratings ? this.#ratings.slice(0, n) : undefined,
      timestamps: this.#cols.timestamps ? this.#timestamps.slice(0, n) : undefined,
      weights: this.#cols.weights ? this.#weights.slice(0, n) : undefined,
    });
  }
}

/** Concatenates interactions that share ID maps (rows in order). */
export function concatInteractions(parts: readonly Interactions[]): Interactions {
  const first = parts[0];
  if (!first) throw new RangeError('concatInteractions needs at least one part');
  const n = parts.reduce((s, p) => s + p.users.length, 0);
  const has = (k: 'ratings' | 'timestamps' | 'weights') => parts.every((p) => p[k] !== undefined);
  const cat = <T extends Int32Array | Float32Array | Float64Array>(get: (p: Interactions) => T): T => {
    const out = new (get(first).constructor as new (n: number) => T)(n);
    let at = 0;
    for (const p of parts) {
      if (p.userIds !== first.userIds || p.itemIds !== first.itemIds)
        throw new RangeError('concatInteractions: parts must share ID maps');
      out.set(get(p), at);
      at += p.users.length;
    }
    return out;
  };
  return makeInteractions({
    userIds: first.userIds,
    itemIds: first.itemIds,
    users: cat((p) => p.users),
    items: cat((p) => p.items),
    ratings: has('ratings') ? cat((p) => p.ratings!) : undefined,
    timestamps: has('timestamps') ? cat((p) => p.timestamps!) : undefined,
    weights: has('weights') ? cat((p) => p.weights!) : undefined,
  });
}
