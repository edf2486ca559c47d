import type { Dataset } from '@embrec/core';
import { InteractionsBuilder } from '../../common/builder.ts';
import { badFile, badValue, parseIntField, parseNumberField } from '../../common/errors.ts';
import { multiHotFromBags } from '../../common/features.ts';
import { readDelimited } from '../../common/records.ts';
import { findFile, requireFile } from '../../common/source.ts';
import { genreBags } from '../movielens-1m/load.ts';

function checkHeader(file: string, found: string[] | undefined, want: readonly string[]): void {
  if (found === undefined)
    throw badFile(file, `expected a header line "${want.join(',')}", found an empty file`);
  if (found.length !== want.length || want.some((w, k) => found[k] !== w))
    throw badValue({ file, line: 1, field: 'header' }, `"${want.join(',')}"`, found.join(','));
}

/** Loads a MovieLens "latest" folder: ratings.csv and movies.csv (CRLF, quoted titles, `|` genres). */
export function loadMlLatest(dir: string, opts: { features: boolean }): Dataset {
  const ds = 'movielens-latest';
  const b = new InteractionsBuilder({ columns: { ratings: true, timestamps: true } });
  const moviesFile = opts.features ? findFile(dir, 'movies.csv') : undefined;
  const titles: string[] = [];
  const genres: (string | undefined)[] = [];
  if (moviesFile) {
    const want = ['movieId', 'title', 'genres'];
    const { header, records } = readDelimited(moviesFile, {
      delimiter: ',',
      csv: true,
      header: true,
      fields: 3,
      names: want,
    });
    checkHeader(moviesFile, header, want);
    for (const r of records) {
      const id = String(parseIntField(r.fields[0], moviesFile, r.line, 'movieId'));
      const row = b.itemIds.add(id);
      titles[row] = r.fields[1]!;
      genres[row] = r.fields[2]!;
    }
  }
  const ratingsFile = requireFile(ds, dir, 'ratings.csv');
  const want = ['userId', 'movieId', 'rating', 'timestamp'];
  const { header, records } = readDelimited(ratingsFile, {
    delimiter: ',',
    csv: true,
    header: true,
    fields: 4,
    names: want,
  });
  checkHeader(ratingsFile, header, want);
  for (const r of records) {
    const u = String(parseIntField(r.fields[0], ratingsFile, r.line, 'userId'));
    const i = String(parseIntField(r.fields[1], ratingsFile, r.line, 'movieId'));
    const rating = parseNumberField(r.fields[2], ratingsFile, r.line, 'rating');
    if (rating < 0.5 || rating > 5)
      throw badValue(
        { file: ratingsFile, line: r.line, field: 'rating' },
        'a rating from 0.5 to 5',
        r.fields[2]!,
      );
    const ts = parseIntField(r.fields[3], ratingsFile, r.line, 'timestamp');
    b.addRow(u, i, rating, ts);
  }
  const interactions = b.build();
  const out: { -readonly [K in keyof Dataset]: Dataset[K] } = {
    name: ds,
    interactions,
    provenance: { folder: dir },
  };
  if (moviesFile) {
    const n = b.itemIds.size;
    const g = genreBags(Array.from({ length: n }, (_, r) => genres[r]));
    out.itemFeatures = {
      categorical: {},
      multiHot: { genres: multiHotFromBags(g.bags, g.vocab) },
      numeric: {},
    };
    out.itemNames = Array.from({ length: n }, (_, r) => titles[r] ?? b.itemIds.external(r));
  }
  return out;
}
