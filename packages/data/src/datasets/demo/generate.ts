import { cumulativeIndex, type Dataset, ensureAllocatable, IdMap, makeInteractions, Rng } from '@embrec/core';

export interface DemoParams {
  readonly users: number;
  readonly items: number;
  readonly genres: number;
  readonly interactionsPerUser: number;
  /** Item popularity weight ∝ (popularity rank + 1)^-exponent (0 = uniform). */
  readonly popularityExponent: number;
  /** Probability that an interaction comes from one of the user's preferred genres. */
  readonly focus: number;
  /** Probability that a user prefers two genres rather than one. */
  readonly twoGenreProb: number;
  readonly brands: number;
  readonly seed: number;
}

/** The planted truth, for tests that check a model recovers it. */
export interface DemoTruth {
  /** Primary genre of each item (the one user tastes act on). */
  readonly itemGenre: Int32Array;
  /** Preferred genres of each user: [users, 2], second = -1 when the user has one. */
  readonly userGenres: Int32Array;
  /** Popularity weight of each item inside its genre. */
  readonly itemWeight: Float64Array;
}

const GENRE_NAMES = [
  'Action',
  'Comedy',
  'Drama',
  'Sci-Fi',
  'Horror',
  'Romance',
  'Documentary',
  'Animation',
  'Thriller',
  'Fantasy',
  'Western',
  'Musical',
  'Crime',
  'Mystery',
  'War',
  'Family',
];
const AGE_GROUPS = ['18-24', '25-34', '35-44', '45-54', '55+'];
const EPOCH = 1_577_836_800; // 2020-01-01T00:00:00Z, seconds

export function genreName(g: number): string {
  return GENRE_NAMES[g] ?? `Genre ${g + 1}`;
}

/**
 * Generates the demo dataset. Everything is typed arrays (no per-item objects) so that a million
 * items fit; the same params and seed always give the same bytes.
 */
export function generateDemo(p: DemoParams): { dataset: Dataset; truth: DemoTruth } {
  // sizes from config, checked before allocating (issue 10 item 8); ~40 bytes a row, ~70 an item
  ensureAllocatable(
    `demo: ${p.users} users × ${p.interactionsPerUser} interactions`,
    p.users * p.interactionsPerUser,
    40,
    {
      hint: 'lower dataset.users or dataset.interactionsPerUser',
    },
  );
  ensureAllocatable(`demo: ${p.items} items`, p.items, 70, { hint: 'lower dataset.items' });
  const rng = new Rng(p.seed);
  const G = p.genres;
  const nI = p.items;
  const nU = p.users;
  // items: a genre each, a popularity weight from a random rank (power law)
  const itemGenre = new Int32Array(nI);
  for (let i = 0; i < nI; i++) itemGenre[i] = i < G ? i : rng.int(G); // every genre has an item
  const rank = new Int32Array(nI);
  for (let i = 0; i < nI; i++) rank[i] = i;
  rng.shuffle(rank);
  const itemWeight = new Float64Array(nI);
  for (let i = 0; i < nI; i++) itemWeight[i] = (rank[i]! + 1) ** -p.popularityExponent;
  // items grouped by genre (CSR) with cumulative weights inside each genre
  const gptr = new Int32Array(G + 1);
  for (let i = 0; i < nI; i++) gptr[itemGenre[i]! + 1]!++;
  for (let g = 0; g < G; g++) gptr[g + 1]! += gptr[g]!;
  const byGenre = new Int32Array(nI);
  const fill = gptr.slice(0, G);
  for (let i = 0; i < nI; i++) byGenre[fill[itemGenre[i]!]!++] = i;
  const cum = new Float64Array(nI);
  const genreMass = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    let s = 0;
    for (let k = gptr[g]!; k < gptr[g + 1]!; k++) {
      s += itemWeight[byGenre[k]!]!;
      cum[k] = s;
    }
    genreMass[g] = s;
  }
  const genreCum = new Float64Array(G);
  let tot = 0;
  for (let g = 0; g < G; g++) genreCum[g] = tot += genreMass[g]!;
  const drawInGenre = (g: number): number => {
    const lo = gptr[g]!;
    const hi = gptr[g + 1]!;
    const x = rng.next() * genreMass[g]!; // cum restarts at 0 in each genre
    return byGenre[cumulativeIndex(cum, x, lo, hi)]!;
  };
  // users: 1-2 preferred genres (chosen ∝ genre popularity), a count, a start time
  const userGenres = new Int32Array(nU * 2).fill(-1);
  const counts = new Int32Array(nU);
  const maxPerUser = Math.max(1, Math.floor(nI / 2));
  let total = 0;
  for (let u = 0; u < nU; u++) {
    userGenres[2 * u] = cumulativeIndex(genreCum, rng.next() * tot);
    if (G > 1 && rng.next() < p.twoGenreProb) {
      let g2 = rng.int(G - 1);
      if (g2 >= userGenres[2 * u]!) g2++;
      userGenres[2 * u + 1] = g2;
    }
    const c = Math.round(p.interactionsPerUser * Math.exp(0.5 * rng.normal() - 0.125));
    counts[u] = Math.min(maxPerUser, Math.max(Math.min(3, maxPerUser), c));
    total += counts[u]!;
  }
  const users = new Int32Array(total);
  const items = new Int32Array(total);
  const ratings = new Float32Array(total);
  const timestamps = new Float64Array(total);
  let n = 0;
  const seen = new Set<number>();
  for (let u = 0; u < nU; u++) {
    seen.clear();
    let t = EPOCH + rng.next() * 365 * 86400;
    const g1 = userGenres[2 * u]!;
    const g2 = userGenres[2 * u + 1]!;
    for (let k = 0; k < counts[u]!; k++) {
      // the genre is chosen once; retries (to avoid repeats) stay inside it, then go anywhere
      const inTaste = rng.next() < p.focus;
      const g = inTaste
        ? g2 >= 0 && rng.next() < 0.5
          ? g2
          : g1
        : cumulativeIndex(genreCum, rng.next() * tot);
      let item = -1;
      for (let attempt = 0; attempt < 40 && item < 0; attempt++) {
        const gg = attempt < 20 ? g : cumulativeIndex(genreCum, rng.next() * tot);
        const cand = drawInGenre(gg);
        if (!seen.has(cand)) item = cand;
      }
      if (item < 0) continue; // the user's genres are exhausted: fewer interactions
      seen.add(item);
      const liked = itemGenre[item] === g1 || itemGenre[item] === g2;
      users[n] = u;
      items[n] = item;
      const r = Math.round(3.3 + (liked ? 0.8 : -0.8) + 0.9 * rng.normal());
      ratings[n] = Math.min(5, Math.max(1, r));
      t += -Math.log(1 - rng.next()) * 86400; // exponential gaps, mean one day
      timestamps[n] = Math.floor(t);
      n++;
    }
  }
  // side features
  const bagPtr = new Int32Array(nI + 1);
  const bagIdx = new Int32Array(2 * nI);
  const brand = new Int32Array(nI);
  const price = new Float32Array(nI);
  const itemNames: string[] = new Array(nI);
  const perGenre = new Int32Array(G);
  for (let i = 0; i < nI; i++) {
    const g = itemGenre[i]!;
    const extra = G > 1 && rng.next() < 0.2 ? (g + 1 + rng.int(G - 1)) % G : -1;
    let at = bagPtr[i]!;
    bagIdx[at++] = g;
    if (extra >= 0) bagIdx[at++] = extra;
    bagPtr[i + 1] = at;
    brand[i] = (g * 7 + rng.int(Math.max(1, Math.ceil(p.brands / 2)))) % p.brands; // brands lean by genre
    price[i] = Math.round(100 * (5 + 3 * g) * Math.exp(0.4 * rng.normal())) / 100;
    itemNames[i] = `${genreName(g)} item ${++perGenre[g]!}`;
  }
  const age = new Int32Array(nU);
  const activity = new Float32Array(nU);
  for (let u = 0; u < nU; u++) {
    age[u] = rng.next() < 0.7 ? userGenres[2 * u]! % AGE_GROUPS.length : rng.int(AGE_GROUPS.length);
    activity[u] = counts[u]!;
  }
  const genreVocab = Array.from({ length: G }, (_, g) => genreName(g));
  const dataset: Dataset = {
    name: 'demo',
    interactions: makeInteractions({
      userIds: IdMap.range(nU),
      itemIds: IdMap.range(nI),
      users: users.slice(0, n),
      items: items.slice(0, n),
      ratings: ratings.slice(0, n),
      timestamps: timestamps.slice(0, n),
    }),
    itemFeatures: {
      categorical: {
        brand: { values: brand, vocab: Array.from({ length: p.brands }, (_, b) => `Brand ${b + 1}`) },
      },
      multiHot: {
        genres: {
          bags: { rows: nI, cols: G, indptr: bagPtr, indices: bagIdx.slice(0, bagPtr[nI]!) },
          vocab: genreVocab,
        },
      },
      numeric: { price },
    },
    userFeatures: {
      categorical: { age: { values: age, vocab: AGE_GROUPS } },
      multiHot: {},
      numeric: { activity },
    },
    itemNames,
    provenance: { generator: 'embrec demo', params: JSON.stringify(p) },
  };
  return { dataset, truth: { itemGenre, userGenres, itemWeight } };
}
