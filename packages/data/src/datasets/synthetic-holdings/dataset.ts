import { type Dataset, type FeatureTable, IdMap, makeInteractions } from '@embrec/core';
import { multiHotFromBags } from '../../common/features.ts';
import { tokenize } from '../../common/tokenize.ts';
import { type Corpus, generateCorpus } from './notes.ts';
import {
  aumOf,
  factorName,
  generateWorld,
  sectorName,
  styleName,
  type World,
  type WorldParams,
} from './world.ts';

export interface SyntheticHoldingsParams extends WorldParams {
  /** holdings: portfolios × securities; notes: market events × research notes. */
  readonly view: 'holdings' | 'notes';
  readonly notes: number;
  readonly events: number;
}

/** The dataset, the planted world and (always generated, cheap) the notes corpus. */
export interface SyntheticHoldings {
  readonly dataset: Dataset;
  readonly world: World;
  readonly corpus: Corpus;
}

export function generateSyntheticHoldings(p: SyntheticHoldingsParams): SyntheticHoldings {
  const world = generateWorld(p);
  const corpus = generateCorpus(world, { notes: p.notes, events: p.events, seed: p.seed });
  const provenance = { generator: 'embrec synthetic-holdings', params: JSON.stringify(p) };
  const dataset = p.view === 'notes' ? notesDataset(corpus, provenance) : holdingsDataset(world, provenance);
  return { dataset, world, corpus };
}

/** Security features: sector and asset class (categorical), one numeric column per factor loading. */
export function securityFeatures(w: World): FeatureTable {
  const { securities: N, factors: K, sectors: S } = w.params;
  const numeric: Record<string, Float32Array> = {};
  for (let k = 0; k < K; k++)
    numeric[factorName(k)] = Float32Array.from({ length: N }, (_, i) => w.loadings[i * K + k]!);
  const assetClass = Int32Array.from({ length: N }, (_, i) => (w.isNew[i] ? 1 : 0));
  return {
    categorical: {
      sector: {
        values: Int32Array.from(w.sector),
        vocab: Array.from({ length: S }, (_, s) => sectorName(s)),
      },
      asset_class: { values: assetClass, vocab: ['listed equity', 'new listing'] },
    },
    multiHot: {},
    numeric,
  };
}

function holdingsDataset(w: World, provenance: Record<string, string>): Dataset {
  const { securities: N, portfolios: P, styles: Z } = w.params;
  const rows = [...w.holdings].sort(
    (a, b) => a.date - b.date || a.portfolio - b.portfolio || a.security - b.security,
  );
  const n = rows.length;
  const users = new Int32Array(n);
  const items = new Int32Array(n);
  const weights = new Float32Array(n);
  const timestamps = new Float64Array(n);
  rows.forEach((r, k) => {
    users[k] = r.portfolio;
    items[k] = r.security;
    weights[k] = r.weight;
    timestamps[k] = w.dateSeconds[r.date]!;
  });
  const aum = Float32Array.from({ length: P }, (_, q) => aumOf(q));
  return {
    name: 'synthetic-holdings',
    interactions: makeInteractions({
      userIds: new IdMap(Array.from({ length: P }, (_, q) => w.portfolioId(q))),
      itemIds: new IdMap(Array.from({ length: N }, (_, i) => w.securityId(i))),
      users,
      items,
      weights,
      timestamps,
    }),
    itemFeatures: securityFeatures(w),
    userFeatures: {
      categorical: {
        style: { values: Int32Array.from(w.style), vocab: Array.from({ length: Z }, (_, z) => styleName(z)) },
      },
      multiHot: {},
      numeric: { aum },
    },
    itemNames: Array.from({ length: N }, (_, i) => `${w.securityId(i)} ${sectorName(w.sector[i]!)}`),
    provenance,
  };
}

/** Word bags (counts as values) over one vocabulary shared by notes and events. */
function wordBags(
  texts: readonly string[],
  vocab: Map<string, number>,
): { rows: number[][]; counts: number[][] } {
  const rows: number[][] = [];
  const counts: number[][] = [];
  for (const t of texts) {
    const bag = new Map<number, number>();
    for (const w of tokenize(t)) {
      const v = vocab.get(w) ?? vocab.size;
      vocab.set(w, v);
      bag.set(v, (bag.get(v) ?? 0) + 1);
    }
    const keys = [...bag.keys()].sort((a, b) => a - b);
    rows.push(keys);
    counts.push(keys.map((k) => bag.get(k)!));
  }
  return { rows, counts };
}

function textFeatures(
  bags: { rows: number[][]; counts: number[][] },
  vocab: readonly string[],
  topic: Int32Array,
  topics: readonly string[],
): FeatureTable {
  const m = multiHotFromBags(bags.rows, vocab);
  const values = Float32Array.from(bags.counts.flat());
  return {
    categorical: { topic: { values: topic, vocab: topics } },
    multiHot: { words: { bags: { ...m.bags, cols: vocab.length, values }, vocab } },
    numeric: {},
  };
}

/**
 * Events (users) × notes (items): an event's links are its relevant notes. The split is given:
 * even-numbered events are train, odd-numbered ones test (a text model ignores the train links).
 * Features: `words` (multi-hot word counts) for the encoders, `topic` (the planted truth) for the oracle.
 */
function notesDataset(c: Corpus, provenance: Record<string, string>): Dataset {
  const vocab = new Map<string, number>();
  const noteBags = wordBags(c.noteText, vocab);
  const eventBags = wordBags(c.eventText, vocab);
  const words = [...vocab.keys()];
  const topicCount = Math.max(...c.noteTopic, ...c.eventTopic) + 1;
  const topics = Array.from({ length: topicCount }, (_, t) => `topic ${t}`);
  const E = c.eventText.length;
  const userIds = new IdMap(Array.from({ length: E }, (_, e) => `E${String(e + 1).padStart(4, '0')}`));
  const itemIds = new IdMap(c.noteText.map((_, n) => `N${String(n + 1).padStart(4, '0')}`));
  const part = (keep: (e: number) => boolean) => {
    const us: number[] = [];
    const is: number[] = [];
    c.links.forEach((notes, e) => {
      if (!keep(e)) return;
      for (const n of notes) {
        us.push(e);
        is.push(n);
      }
    });
    return makeInteractions({ userIds, itemIds, users: Int32Array.from(us), items: Int32Array.from(is) });
  };
  return {
    name: 'synthetic-notes',
    interactions: part(() => true),
    givenSplits: { train: part((e) => e % 2 === 0), test: part((e) => e % 2 === 1) },
    itemFeatures: textFeatures(noteBags, words, c.noteTopic, topics),
    userFeatures: textFeatures(eventBags, words, c.eventTopic, topics),
    itemNames: c.noteText,
    provenance,
  };
}
