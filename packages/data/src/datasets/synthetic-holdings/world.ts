import { Rng } from '@embrec/core';

/**
 * The factor world behind `synthetic-holdings` (docs/finance.md states the same model):
 *
 *   sector mean loadings   μ_s ~ N(0, I_K)                      s = 1..S
 *   security loadings      β_i = μ_{s(i)} + σ_β·N(0, I_K)        s(i) uniform over sectors
 *   style prototypes       θ_z ~ N(0, τ_θ²·I_K),  π_z ~ N(0, I_S) (factor tilt, sector preference)
 *   portfolio tilts        t_p = θ_{z(p)} + σ_t·N(0, I_K),  ρ_p = π_{z(p)} + σ_t·N(0, I_S)
 *   affinity               a(p, i) = t_p·β_i + ρ_p[s(i)] + σ_ε·ε_pi,   ε_pi ~ N(0, 1)
 *
 * At the first date a portfolio holds the H securities with the largest a(p, i)/τ + g (g Gumbel,
 * i.e. H draws without replacement ∝ exp(a/τ)); at each later date a `turnover` share of its
 * holdings is sold and as many bought by the same rule among those not held. Weights are
 * softmax(a/τ) over the holdings of that date. The last `coldStart` share of securities are new
 * listings: they exist only at the last date, where each is bought by 1–3 portfolios (the largest
 * a(p, i)/τ + g over portfolios).
 */
export interface WorldParams {
  readonly securities: number;
  readonly sectors: number;
  readonly factors: number;
  readonly portfolios: number;
  readonly styles: number;
  readonly holdingsPerPortfolio: number;
  readonly dates: number;
  readonly turnover: number;
  readonly coldStart: number;
  /** σ_β: idiosyncratic spread of loadings around the sector mean. */
  readonly loadingNoise: number;
  /** σ_ε: pair noise of the affinity. */
  readonly noise: number;
  /** τ: holdings are drawn ∝ exp(a / τ) (larger = more spread over securities). */
  readonly temperature: number;
  readonly seed: number;
}

export const FACTOR_NAMES = [
  'value',
  'growth',
  'momentum',
  'quality',
  'size',
  'low_volatility',
  'yield',
  'leverage',
];
export const SECTOR_NAMES = [
  'Technology',
  'Energy',
  'Financials',
  'Healthcare',
  'Utilities',
  'Industrials',
  'Consumer',
  'Materials',
  'RealEstate',
  'Telecom',
];
export const STYLE_NAMES = [
  'deep-value',
  'growth',
  'momentum',
  'defensive',
  'income',
  'small-cap',
  'quality',
  'macro',
];
const EPOCH = Date.UTC(2023, 0, 31) / 1000;

export interface HoldingRow {
  readonly portfolio: number;
  readonly security: number;
  readonly date: number; // date index
  readonly weight: number;
}

export interface TradeRow {
  readonly portfolio: number;
  readonly security: number;
  readonly date: number;
  readonly side: 'buy' | 'sell';
  readonly amount: number;
}

/** The planted truth and the drawn holdings. */
export interface World {
  readonly params: WorldParams;
  /** Sector of each security. [N] */
  readonly sector: Int32Array;
  /** β: factor loadings. [N, K] row-major */
  readonly loadings: Float64Array;
  /** Style of each portfolio. [P] */
  readonly style: Int32Array;
  /** t: factor tilts. [P, K] */
  readonly tilts: Float64Array;
  /** 1 for the new listings (cold-start securities). [N] */
  readonly isNew: Uint8Array;
  readonly holdings: readonly HoldingRow[];
  readonly trades: readonly TradeRow[];
  /** Epoch seconds of each date index (month ends, one quarter apart). */
  readonly dateSeconds: readonly number[];
  readonly securityId: (i: number) => string;
  readonly portfolioId: (p: number) => string;
}

/** A client's assets under management (a deterministic, uninformative user feature). */
export function aumOf(q: number): number {
  return 10 + ((q * 7919) % 990);
}

export function factorName(k: number): string {
  return FACTOR_NAMES[k] ?? `factor_${k + 1}`;
}
export function sectorName(s: number): string {
  return SECTOR_NAMES[s] ?? `Sector${s + 1}`;
}
export function styleName(z: number): string {
  return STYLE_NAMES[z] ?? `style-${z + 1}`;
}

function gumbel(rng: Rng): number {
  return -Math.log(-Math.log(1 - rng.next() * (1 - 1e-12)));
}

/** The indices of the n largest keys (ties by index). */
function topN(keys: Float64Array, n: number): number[] {
  const idx = Array.from(keys.keys()).filter((i) => Number.isFinite(keys[i]!));
  idx.sort((a, b) => keys[b]! - keys[a]! || a - b);
  return idx.slice(0, n);
}

export function generateWorld(p: WorldParams): World {
  const rng = new Rng(p.seed);
  const { securities: N, sectors: S, factors: K, portfolios: P, styles: Z } = p;
  const normals = (n: number, sd: number) => Float64Array.from({ length: n }, () => sd * rng.normal());
  const mu = normals(S * K, 1);
  const sector = new Int32Array(N);
  for (let i = 0; i < N; i++) sector[i] = i < S ? i : rng.int(S);
  const loadings = new Float64Array(N * K);
  for (let i = 0; i < N; i++)
    for (let k = 0; k < K; k++) loadings[i * K + k] = mu[sector[i]! * K + k]! + p.loadingNoise * rng.normal();
  const theta = normals(Z * K, 1.5);
  const pi = normals(Z * S, 1);
  const style = new Int32Array(P);
  for (let q = 0; q < P; q++) style[q] = q < Z ? q : rng.int(Z);
  const tilts = new Float64Array(P * K);
  const prefs = new Float64Array(P * S);
  for (let q = 0; q < P; q++) {
    for (let k = 0; k < K; k++) tilts[q * K + k] = theta[style[q]! * K + k]! + 0.5 * rng.normal();
    for (let s = 0; s < S; s++) prefs[q * S + s] = pi[style[q]! * S + s]! + 0.5 * rng.normal();
  }
  const nNew = Math.min(N - 1, Math.round(p.coldStart * N));
  const isNew = new Uint8Array(N);
  for (let i = N - nNew; i < N; i++) isNew[i] = 1;
  const affinity = new Float64Array(P * N); // [P, N]
  for (let q = 0; q < P; q++)
    for (let i = 0; i < N; i++) {
      let a = prefs[q * S + sector[i]!]!;
      for (let k = 0; k < K; k++) a += tilts[q * K + k]! * loadings[i * K + k]!;
      affinity[q * N + i] = a + p.noise * rng.normal();
    }
  const holdings: HoldingRow[] = [];
  const trades: TradeRow[] = [];
  const H = Math.min(p.holdingsPerPortfolio, N - nNew);
  const keys = new Float64Array(N);
  const held: Set<number>[] = [];
  const emit = (q: number, d: number, set: Set<number>) => {
    const list = [...set].sort((a, b) => a - b);
    let z = 0;
    for (const i of list) z += Math.exp(affinity[q * N + i]! / p.temperature);
    for (const i of list)
      holdings.push({
        portfolio: q,
        security: i,
        date: d,
        weight: Math.exp(affinity[q * N + i]! / p.temperature) / z,
      });
  };
  const newHolders: number[][] = Array.from({ length: N }, () => []);
  // new listings: bought by 1–3 portfolios at the last date
  const pk = new Float64Array(P);
  for (let i = N - nNew; i < N; i++) {
    for (let q = 0; q < P; q++) pk[q] = affinity[q * N + i]! / p.temperature + gumbel(rng);
    for (const q of topN(pk, 1 + rng.int(3))) newHolders[i]!.push(q);
  }
  for (let q = 0; q < P; q++) {
    for (let i = 0; i < N; i++)
      keys[i] = isNew[i] ? Number.NEGATIVE_INFINITY : affinity[q * N + i]! / p.temperature + gumbel(rng);
    const set = new Set(topN(keys, H));
    held.push(set);
    for (const i of set) trades.push({ portfolio: q, security: i, date: 0, side: 'buy', amount: 1000 });
    const list = (d: number) => {
      if (d !== p.dates - 1) return;
      for (let i = N - nNew; i < N; i++)
        if (newHolders[i]!.includes(q)) {
          set.add(i);
          trades.push({ portfolio: q, security: i, date: d, side: 'buy', amount: 1000 });
        }
    };
    list(0);
    emit(q, 0, set);
    for (let d = 1; d < p.dates; d++) {
      const current = [...set].filter((i) => !isNew[i]);
      rng.shuffle(current);
      const sell = current.slice(0, Math.round(p.turnover * current.length));
      for (const i of sell) {
        set.delete(i);
        trades.push({ portfolio: q, security: i, date: d, side: 'sell', amount: 1000 });
      }
      for (let i = 0; i < N; i++)
        keys[i] =
          isNew[i] || set.has(i) || sell.includes(i)
            ? Number.NEGATIVE_INFINITY
            : affinity[q * N + i]! / p.temperature + gumbel(rng);
      for (const i of topN(keys, sell.length)) {
        set.add(i);
        trades.push({ portfolio: q, security: i, date: d, side: 'buy', amount: 1000 });
      }
      list(d);
      emit(q, d, set);
    }
  }
  const w = (n: number) => String(n).length;
  const secW = Math.max(4, w(N));
  const portW = Math.max(4, w(P));
  return {
    params: p,
    sector,
    loadings,
    style,
    tilts,
    isNew,
    holdings,
    trades,
    dateSeconds: Array.from({ length: p.dates }, (_, d) => EPOCH + d * 91 * 86400),
    securityId: (i) => `S${String(i + 1).padStart(secW, '0')}`,
    portfolioId: (q) => `P${String(q + 1).padStart(portW, '0')}`,
  };
}
