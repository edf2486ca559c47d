import type { Dataset } from '@embrec/core';
import { InteractionsBuilder } from '../../common/builder.ts';
import { badValue, parseIntField, parseNumberField } from '../../common/errors.ts';
import { CategoricalBuilder, multiHotFromBags } from '../../common/features.ts';
import { readDelimited } from '../../common/records.ts';
import { findFile, requireFile } from '../../common/source.ts';

/** ML-1M's age groups, also used to bucket ML-100K's exact ages. */
export function ageBucket(age: number): string {
  if (age < 18) return 'under 18';
  if (age < 25) return '18-24';
  if (age < 35) return '25-34';
  if (age < 45) return '35-44';
  if (age < 50) return '45-49';
  if (age < 56) return '50-55';
  return '56+';
}

const ML1M_AGE: Record<string, string> = {
  '1': 'under 18',
  '18': '18-24',
  '25': '25-34',
  '35': '35-44',
  '45': '45-49',
  '50': '50-55',
  '56': '56+',
};

/** Adds a genre bag per item from `A|B|C` strings; vocab in order of first appearance. */
export function genreBags(
  raw: readonly (string | undefined)[],
  none = '(no genres listed)',
): { bags: number[][]; vocab: string[] } {
  const vocab = new Map<string, number>();
  const bags = raw.map((s) => {
    if (s === undefined || s === '' || s === none) return [];
    return s.split('|').map((g) => {
      let v = vocab.get(g);
      if (v === undefined) {
        v = vocab.size;
        vocab.set(g, v);
      }
      return v;
    });
  });
  return { bags, vocab: [...vocab.keys()] };
}

/** Loads MovieLens 1M: `::`-separated ratings.dat, movies.dat (latin-1), users.dat. */
export function loadMl1m(dir: string, opts: { features: boolean }): Dataset {
  const ds = 'movielens-1m';
  const b = new InteractionsBuilder({ columns: { ratings: true, timestamps: true } });
  const moviesFile = opts.features ? findFile(dir, 'movies.dat') : undefined;
  const usersFile = opts.features ? findFile(dir, 'users.dat') : undefined;
  const titles: string[] = [];
  const genres: (string | undefined)[] = [];
  if (moviesFile) {
    const { records } = readDelimited(moviesFile, {
      delimiter: '::',
      encoding: 'latin1',
      fields: 3,
      names: ['MovieID', 'Title', 'Genres'],
    });
    for (const r of records) {
      const id = String(parseIntField(r.fields[0], moviesFile, r.line, 'MovieID'));
      const row = b.itemIds.add(id);
      titles[row] = r.fields[1]!;
      genres[row] = r.fields[2]!;
    }
  }
  const userRows: { row: number; f: string[]; line: number }[] = [];
  if (usersFile) {
    const names = ['UserID', 'Gender', 'Age', 'Occupation', 'Zip-code'];
    const { records } = readDelimited(usersFile, { delimiter: '::', encoding: 'latin1', fields: 5, names });
    for (const r of records) {
      const id = String(parseIntField(r.fields[0], usersFile, r.line, 'UserID'));
      if (r.fields[1] !== 'M' && r.fields[1] !== 'F')
        throw badValue({ file: usersFile, line: r.line, field: 'Gender' }, 'M or F', r.fields[1]!);
      if (ML1M_AGE[r.fields[2]!] === undefined)
        throw badValue(
          { file: usersFile, line: r.line, field: 'Age' },
          `an age code (${Object.keys(ML1M_AGE).join(', ')})`,
          r.fields[2]!,
        );
      parseIntField(r.fields[3], usersFile, r.line, 'Occupation');
      userRows.push({ row: b.userIds.add(id), f: r.fields, line: r.line });
    }
  }
  const ratingsFile = requireFile(ds, dir, 'ratings.dat');
  const { records } = readDelimited(ratingsFile, {
    delimiter: '::',
    fields: 4,
    names: ['UserID', 'MovieID', 'Rating', 'Timestamp'],
  });
  for (const r of records) {
    const u = String(parseIntField(r.fields[0], ratingsFile, r.line, 'UserID'));
    const i = String(parseIntField(r.fields[1], ratingsFile, r.line, 'MovieID'));
    const rating = parseNumberField(r.fields[2], ratingsFile, r.line, 'Rating');
    if (rating < 1 || rating > 5)
      throw badValue(
        { file: ratingsFile, line: r.line, field: 'Rating' },
        'a rating from 1 to 5',
        r.fields[2]!,
      );
    const ts = parseIntField(r.fields[3], ratingsFile, r.line, 'Timestamp');
    b.addRow(u, i, rating, ts);
  }
  const interactions = b.build();
  const out: { -readonly [K in keyof Dataset]: Dataset[K] } = {
    name: ds,
    interactions,
    provenance: { folder: dir },
  };
  const nItems = b.itemIds.size;
  if (moviesFile) {
    const all = Array.from({ length: nItems }, (_, r) => genres[r]);
    const g = genreBags(all);
    out.itemFeatures = {
      categorical: {},
      multiHot: { genres: multiHotFromBags(g.bags, g.vocab) },
      numeric: {},
    };
    out.itemNames = Array.from({ length: nItems }, (_, r) => titles[r] ?? b.itemIds.external(r));
  }
  if (usersFile) {
    const n = b.userIds.size;
    const gender = new CategoricalBuilder(n);
    const age = new CategoricalBuilder(n);
    const occupation = new CategoricalBuilder(n);
    for (const u of userRows) {
      gender.set(u.row, u.f[1]!);
      age.set(u.row, ML1M_AGE[u.f[2]!]!);
      occupation.set(u.row, u.f[3]!);
    }
    out.userFeatures = {
      categorical: { age: age.build(), gender: gender.build(), occupation: occupation.build() },
      multiHot: {},
      numeric: {},
    };
  }
  return out;
}
