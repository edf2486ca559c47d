import {
  DataError,
  type Dataset,
  type Interactions,
  type Splits,
  selectRows,
  type TrialContext,
} from '@embrec/core';
import { z } from 'zod';
import { dedup } from '../transforms/dedup/component.ts';

/**
 * What every splitter checks around its split (issue 10 item 3: bad data finished as a result).
 * Before: repeated (user, item) rows are collapsed (or refused, or kept together). After: a split
 * without a test user, or whose test items never occur in training, is an error naming the file;
 * test items unseen in training are counted in the log (real splits have a few).
 */

export const duplicatesSchema = z
  .enum(['collapse', 'error', 'keep'])
  .default('collapse')
  .describe(
    'A repeated (user, item) pair: collapse to one row before splitting (the latest; the count is logged), error, or keep every row (sequence models such as Item2Vec) — kept rows of one pair never sit in both train and a held-out split',
  );
export type DuplicatesMode = z.output<typeof duplicatesSchema>;

/** The file (or folder, or generator) the data came from, for error messages. */
export function dataSource(data: Dataset, part?: 'train' | 'valid' | 'test'): string {
  const p = data.provenance ?? {};
  const file = (part ? p[part] : undefined) ?? p.path ?? p.cached ?? p.folder ?? p.url;
  return file ? `${file} (dataset "${data.name}")` : `dataset "${data.name}"`;
}

/** Rows whose (user, item) pair occurred in an earlier row; 0 when every pair is unique. */
export function countRepeatedRows(x: Interactions): number {
  const n = x.users.length;
  const nItems = x.itemIds.size;
  const keys = new Float64Array(n); // user·items + item is exact below 2^53
  for (let r = 0; r < n; r++) keys[r] = x.users[r]! * nItems + x.items[r]!;
  keys.sort();
  let repeated = 0;
  for (let r = 1; r < n; r++) if (keys[r] === keys[r - 1]) repeated++;
  return repeated;
}

/** The first repeated pair, in the data's own IDs, for an error message. */
function firstRepeat(x: Interactions): string {
  const seen = new Set<number>();
  const nItems = x.itemIds.size;
  for (let r = 0; r < x.users.length; r++) {
    const key = x.users[r]! * nItems + x.items[r]!;
    if (seen.has(key))
      return `user ${x.userIds.external(x.users[r]!)}, item ${x.itemIds.external(x.items[r]!)} (row ${r + 1})`;
    seen.add(key);
  }
  return '(none)';
}

/** Applies `split.duplicates` to the rows about to be split. */
export function handleDuplicates(
  data: Dataset,
  mode: DuplicatesMode,
  ctx: Pick<TrialContext, 'log'>,
  splitter: string,
): Interactions {
  const x = data.interactions;
  const repeated = countRepeatedRows(x);
  if (repeated === 0) return x;
  if (mode === 'error')
    throw new DataError(
      `${splitter}: ${dataSource(data)} has ${repeated} repeated (user, item) row${repeated === 1 ? '' : 's'}, first ${firstRepeat(x)}; expected each pair once (split.duplicates: error). Use split.duplicates: collapse to keep one row per pair, or keep for sequence models`,
    );
  if (mode === 'keep') {
    ctx.log.info(
      `${splitter}: keeping ${repeated} repeated (user, item) rows (split.duplicates: keep); a pair's rows stay on one side of the split`,
    );
    return x;
  }
  const out = dedup(x, 'latest');
  ctx.log.warn(
    `${splitter}: collapsed ${repeated} repeated (user, item) row${repeated === 1 ? '' : 's'} of ${dataSource(data)} into one per pair (${x.users.length} → ${out.users.length} rows; split.duplicates: collapse, the latest is kept)`,
  );
  return out;
}

/**
 * With `duplicates: keep`: rows of one (user, item) pair on both sides of a hold-out go back to the
 * kept side, so a held-out pair is never also a training pair (its item would be masked).
 * `held[k]` = 1 for rows[k] held out.
 */
export function keepPairsTogether(x: Interactions, rows: Int32Array, held: Uint8Array): number {
  const nItems = x.itemIds.size;
  const kept = new Set<number>();
  for (let k = 0; k < rows.length; k++)
    if (!held[k]) kept.add(x.users[rows[k]!]! * nItems + x.items[rows[k]!]!);
  let moved = 0;
  for (let k = 0; k < rows.length; k++)
    if (held[k] && kept.has(x.users[rows[k]!]! * nItems + x.items[rows[k]!]!)) {
      held[k] = 0;
      moved++;
    }
  return moved;
}

/** Rows of `part` whose (user, item) pair is not in `train`. */
function withoutTrainPairs(train: Interactions, part: Interactions): { out: Interactions; dropped: number } {
  const nItems = train.itemIds.size;
  const pairs = new Set<number>();
  for (let r = 0; r < train.users.length; r++) pairs.add(train.users[r]! * nItems + train.items[r]!);
  const keep = new Uint8Array(part.users.length);
  let dropped = 0;
  for (let r = 0; r < keep.length; r++) {
    keep[r] = pairs.has(part.users[r]! * nItems + part.items[r]!) ? 0 : 1;
    if (!keep[r]) dropped++;
  }
  return { out: dropped === 0 ? part : selectRows(part, keep), dropped };
}

/**
 * Given splits (files shipped with the data): a held-out pair that is also a training pair is
 * dropped from the held-out file (collapse, keep) or refused (error); repeats inside one file are
 * collapsed unless kept.
 */
export function cleanGivenSplits(
  data: Dataset,
  s: Splits,
  mode: DuplicatesMode,
  ctx: Pick<TrialContext, 'log'>,
): Splits {
  const one = (x: Interactions, part: 'train' | 'valid' | 'test'): Interactions => {
    const repeated = countRepeatedRows(x);
    if (repeated === 0 || mode === 'keep') return x;
    if (mode === 'error')
      throw new DataError(
        `given: ${dataSource(data, part)} repeats ${repeated} (user, item) row${repeated === 1 ? '' : 's'}, first ${firstRepeat(x)}; expected each pair once (split.duplicates: error)`,
      );
    ctx.log.warn(`given: collapsed ${repeated} repeated (user, item) rows of ${dataSource(data, part)}`);
    return dedup(x, 'latest');
  };
  const train = one(s.train, 'train');
  const held = (x: Interactions, part: 'valid' | 'test'): Interactions => {
    const { out, dropped } = withoutTrainPairs(train, one(x, part));
    if (dropped > 0 && mode === 'error')
      throw new DataError(
        `given: ${dropped} (user, item) pair${dropped === 1 ? '' : 's'} of ${dataSource(data, part)} also in ${dataSource(data, 'train')}; a held-out pair must not be a training pair (split.duplicates: error)`,
      );
    if (dropped > 0)
      ctx.log.warn(
        `given: dropped ${dropped} row${dropped === 1 ? '' : 's'} of ${dataSource(data, part)} whose (user, item) pair is also in train (its item would be masked)`,
      );
    return out;
  };
  const test = held(s.test, 'test');
  const valid = s.valid && held(s.valid, 'valid');
  if (train === s.train && test === s.test && valid === s.valid) return s;
  return valid ? { train, valid, test } : { train, test };
}

/**
 * The split can be evaluated: a test user exists and some test item occurs in training. Test items
 * that never occur in training are allowed (a model cannot rank them well, which is the point of a
 * cold-start count) and logged.
 */
export function checkSplits(
  data: Dataset,
  s: Splits,
  ctx: Pick<TrialContext, 'log'>,
  splitter: string,
): Splits {
  const given = splitter === 'given';
  const testFile = dataSource(data, given ? 'test' : undefined);
  if (s.test.users.length === 0)
    throw new DataError(
      `${splitter}: the test split of ${testFile} is empty (no test user): every metric would be an average over zero users. ` +
        (given
          ? 'Expected test interactions in the test file'
          : 'Expected users with at least two interactions (one stays in train), or a cut inside the data'),
    );
  const inTrain = new Uint8Array(data.interactions.itemIds.size);
  for (let r = 0; r < s.train.items.length; r++) inTrain[s.train.items[r]!] = 1;
  let unseen = 0;
  const unseenItems = new Set<number>();
  for (let r = 0; r < s.test.items.length; r++) {
    const i = s.test.items[r]!;
    if (!inTrain[i]) {
      unseen++;
      unseenItems.add(i);
    }
  }
  if (unseen === s.test.items.length)
    throw new DataError(
      `${splitter}: none of the ${unseenItems.size} test items of ${testFile} occurs in training (${s.train.items.length} train rows): nothing can be recommended. Expected train and test to share items (check the item IDs of the files)`,
    );
  if (unseen > 0)
    ctx.log.info(
      `${splitter}: ${unseenItems.size} test item${unseenItems.size === 1 ? '' : 's'} (${unseen} test row${unseen === 1 ? '' : 's'}) never occur in training`,
    );
  return s;
}
