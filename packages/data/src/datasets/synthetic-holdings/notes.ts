import { Rng } from '@embrec/core';
import type { World } from './world.ts';

/**
 * Research notes and "market event" queries drawn from the same world. A note is about one topic
 * (sector s, factor k, direction ±) and 1–3 securities of sector s with the largest ±β_ik (+ Gumbel
 * noise); its text takes 3 of the factor's 8 paraphrases, 2 of the sector's 6, 1 of 6 direction
 * words, the tickers and 8 filler words. An event is a topic too, written with 1 paraphrase of each
 * and 4 fillers, and it is linked to every note of its topic: word overlap alone finds only the
 * notes that happen to share its paraphrases.
 */
export const FACTOR_WORDS: readonly (readonly string[])[] = [
  [
    'cheap',
    'undervalued',
    'discount',
    'bargain',
    'low-multiple',
    'book-to-price',
    'mispriced',
    'inexpensive',
  ],
  [
    'expansion',
    'accelerating',
    'scaling',
    'high-growth',
    'compounding',
    'revenue-surge',
    'ramping',
    'hypergrowth',
  ],
  ['trending', 'rally', 'winners', 'uptrend', 'strength', 'breakout', 'run-up', 'persistent'],
  ['profitable', 'robust', 'moat', 'durable', 'high-margin', 'well-run', 'resilient', 'franchise'],
  ['small-cap', 'microcap', 'smaller', 'emerging-issuer', 'niche', 'under-followed', 'lower-cap', 'boutique'],
  ['defensive', 'stable', 'steady', 'low-beta', 'calm', 'sheltered', 'predictable', 'ballast'],
  ['dividend', 'income', 'payout', 'coupon-like', 'distribution', 'yielding', 'cash-return', 'carry'],
  ['indebted', 'leveraged', 'geared', 'borrowing', 'debt-laden', 'refinancing', 'levered', 'credit-heavy'],
];
export const SECTOR_WORDS: readonly (readonly string[])[] = [
  ['software', 'semiconductors', 'chips', 'cloud', 'tech', 'digital'],
  ['oil', 'gas', 'drilling', 'crude', 'pipelines', 'refiners'],
  ['banks', 'lenders', 'insurers', 'brokers', 'credit-cards', 'financials'],
  ['pharma', 'biotech', 'hospitals', 'medical', 'drugs', 'health'],
  ['utilities', 'power', 'electricity', 'grid', 'water', 'regulated'],
  ['machinery', 'aerospace', 'manufacturing', 'railroads', 'industrial', 'engineering'],
  ['retail', 'shoppers', 'brands', 'restaurants', 'consumer', 'apparel'],
  ['mining', 'chemicals', 'steel', 'metals', 'commodities', 'packaging'],
  ['property', 'reits', 'landlords', 'housing', 'office-space', 'real-estate'],
  ['telecom', 'wireless', 'carriers', 'broadband', 'spectrum', 'networks'],
];
const UP = ['upgrade', 'upside', 'bullish', 'positive', 'overweight', 'outperform'];
const DOWN = ['downgrade', 'downside', 'bearish', 'negative', 'underweight', 'underperform'];
const FILLER = (
  'the analyst note we see this quarter market earnings report view outlook investors position ' +
  'portfolio risk expect recent data update team desk week guidance move trade idea consensus names ' +
  'exposure screen flows macro'
).split(' ');

export interface NotesParams {
  readonly notes: number;
  readonly events: number;
  readonly seed: number;
}

export interface Corpus {
  readonly noteText: readonly string[];
  /** Topic id of each note: (s·K + k)·2 + (dir > 0 ? 0 : 1). */
  readonly noteTopic: Int32Array;
  /** Securities each note is about. */
  readonly noteSecurities: readonly (readonly number[])[];
  readonly eventText: readonly string[];
  readonly eventTopic: Int32Array;
  /** Notes linked to each event (every note of its topic). */
  readonly links: readonly (readonly number[])[];
}

export function topicParts(topic: number, K: number): { sector: number; factor: number; up: boolean } {
  const up = topic % 2 === 0;
  const sk = topic >> 1;
  return { sector: Math.floor(sk / K), factor: sk % K, up };
}

function pick(rng: Rng, words: readonly string[], n: number): string[] {
  const a = [...words];
  rng.shuffle(a);
  return a.slice(0, n);
}

export function generateCorpus(world: World, p: NotesParams): Corpus {
  const rng = new Rng(p.seed).fork('notes');
  const { sectors: S, factors: K, securities: N } = world.params;
  if (S > SECTOR_WORDS.length || K > FACTOR_WORDS.length)
    throw new RangeError(`notes need sectors ≤ ${SECTOR_WORDS.length} and factors ≤ ${FACTOR_WORDS.length}`);
  const bySector: number[][] = Array.from({ length: S }, () => []);
  for (let i = 0; i < N; i++) bySector[world.sector[i]!]!.push(i);
  const noteText: string[] = [];
  const noteTopic = new Int32Array(p.notes);
  const noteSecurities: number[][] = [];
  const byTopic = new Map<number, number[]>();
  for (let n = 0; n < p.notes; n++) {
    const s = rng.int(S);
    const k = rng.int(K);
    const up = rng.next() < 0.5;
    const topic = (s * K + k) * 2 + (up ? 0 : 1);
    noteTopic[n] = topic;
    const cands = bySector[s]!.map((i) => ({
      i,
      key: (up ? 1 : -1) * world.loadings[i * K + k]! - Math.log(-Math.log(1 - rng.next() * 0.999999)),
    }));
    cands.sort((a, b) => b.key - a.key);
    const secs = cands.slice(0, 1 + rng.int(3)).map((c) => c.i);
    noteSecurities.push(secs);
    const words = [
      ...pick(rng, FACTOR_WORDS[k]!, 3),
      ...pick(rng, SECTOR_WORDS[s]!, 2),
      ...pick(rng, up ? UP : DOWN, 1),
      ...secs.map((i) => world.securityId(i)),
      ...Array.from({ length: 8 }, () => FILLER[rng.int(FILLER.length)]!),
    ];
    rng.shuffle(words);
    noteText.push(words.join(' '));
    const list = byTopic.get(topic) ?? [];
    list.push(n);
    byTopic.set(topic, list);
  }
  const topics = [...byTopic.keys()].sort((a, b) => a - b);
  const eventText: string[] = [];
  const eventTopic = new Int32Array(p.events);
  const links: number[][] = [];
  for (let e = 0; e < p.events; e++) {
    const topic = topics[rng.int(topics.length)]!;
    const { sector, factor, up } = topicParts(topic, K);
    eventTopic[e] = topic;
    const words = [
      ...pick(rng, FACTOR_WORDS[factor]!, 1),
      ...pick(rng, SECTOR_WORDS[sector]!, 1),
      ...pick(rng, up ? UP : DOWN, 1),
      ...Array.from({ length: 4 }, () => FILLER[rng.int(FILLER.length)]!),
    ];
    rng.shuffle(words);
    eventText.push(words.join(' '));
    links.push(byTopic.get(topic)!);
  }
  return { noteText, noteTopic, noteSecurities, eventText, eventTopic, links };
}
