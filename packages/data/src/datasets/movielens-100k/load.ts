import type { Dataset, FeatureTable } from '@embrec/core';
import { InteractionsBuilder } from '../../common/builder.ts';
import { badValue, parseIntField, parseNumberField } from '../../common/errors.ts';
import { CategoricalBuilder, multiHotFromBags } from '../../common/features.ts';
import { readDelimited } from '../../common/records.ts';
import { findFile, requireFile } from '../../common/source.ts';
import { ageBucket } from '../movielens-1m/load.ts';

export const ML100K_GENRES = [
  'unknown',
  'Action',
  'Adventure',
  'Animation',
  "Children's",
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Fantasy',
  'Film-Noir',
  'Horror',
  'Musical',
  'Mystery',
  'Romance',
  'Sci-Fi',
  'Thriller',
  'War',
  'Western',
];

/** Loads a MovieLens 100K folder: u.data (ratings), u.item (latin-1, 19 genre flags), u.user. */
export function loadMl100k(dir: string, opts: { features: boolean }): Dataset {
  const ds = 'movielens-100k';
  const b = new InteractionsBuilder({ columns: { ratings: true, timestamps: true } });
  const itemFile = opts.features ? findFile(dir, 'u.item') : undefined;
  const userFile = opts.features ? findFile(dir, 'u.user') : undefined;
  const bags: number[][] = [];
  const itemNames: string[] = [];
  const itemYear: number[] = [];
  if (itemFile) {
    const names = ['movie id', 'title', 'release date', 'video release date', 'IMDb URL', ...ML100K_GENRES];
    const { records } = readDelimited(itemFile, { delimiter: '|', encoding: 'latin1', fields: 24, names });
    for (const r of records) {
      const id = String(parseIntField(r.fields[0], itemFile, r.line, 'movie id'));
      const row = b.itemIds.add(id);
      const bag: number[] = [];
      for (let g = 0; g < 19; g++) {
        const f = r.fields[5 + g]!;
        if (f !== '0' && f !== '1')
          throw badValue(
            { file: itemFile, line: r.line, field: `genre ${ML100K_GENRES[g]}` },
            'a 0/1 flag',
            f,
          );
        if (f === '1') bag.push(g);
      }
      bags[row] = bag;
      itemNames[row] = r.fields[1]!;
      const m = /(\d{4})$/.exec(r.fields[2]!);
      itemYear[row] = m ? Number(m[1]) : Number.NaN;
    }
  }
  const userRaw: { row: number; age: number; gender: string; occupation: string }[] = [];
  if (userFile) {
    const names = ['user id', 'age', 'gender', 'occupation', 'zip code'];
    const { records } = readDelimited(userFile, { delimiter: '|', encoding: 'latin1', fields: 5, names });
    for (const r of records) {
      const id = String(parseIntField(r.fields[0], userFile, r.line, 'user id'));
      const age = parseIntField(r.fields[1], userFile, r.line, 'age');
      const gender = r.fields[2]!;
      if (gender !== 'M' && gender !== 'F')
        throw badValue({ file: userFile, line: r.line, field: 'gender' }, 'M or F', gender);
      userRaw.push({ row: b.userIds.add(id), age, gender, occupation: r.fields[3]! });
    }
  }
  const dataFile = requireFile(ds, dir, 'u.data');
  const names = ['user id', 'item id', 'rating', 'timestamp'];
  const { records } = readDelimited(dataFile, { delimiter: '\t', fields: 4, names });
  for (const r of records) {
    const u = String(parseIntField(r.fields[0], dataFile, r.line, 'user id'));
    const i = String(parseIntField(r.fields[1], dataFile, r.line, 'item id'));
    const rating = parseNumberField(r.fields[2], dataFile, r.line, 'rating');
    if (rating < 1 || rating > 5)
      throw badValue({ file: dataFile, line: r.line, field: 'rating' }, 'a rating from 1 to 5', r.fields[2]!);
    const ts = parseIntField(r.fields[3], dataFile, r.line, 'timestamp');
    b.addRow(u, i, rating, ts);
  }
  const interactions = b.build();
  const nItems = b.itemIds.size;
  const nUsers = b.userIds.size;
  const out: { -readonly [K in keyof Dataset]: Dataset[K] } = {
    name: ds,
    interactions,
    provenance: { folder: dir },
  };
  if (itemFile) {
    for (let r = 0; r < nItems; r++) {
      bags[r] ??= [];
      itemNames[r] ??= b.itemIds.external(r);
    }
    const year = new Float32Array(nItems).fill(Number.NaN);
    itemYear.forEach((y, r) => {
      year[r] = y;
    });
    const f: FeatureTable = {
      categorical: {},
      multiHot: { genres: multiHotFromBags(bags, ML100K_GENRES) },
      numeric: { year },
    };
    out.itemFeatures = f;
    out.itemNames = itemNames;
  }
  if (userFile) {
    const age = new CategoricalBuilder(nUsers);
    const gender = new CategoricalBuilder(nUsers);
    const occupation = new CategoricalBuilder(nUsers);
    const ageNum = new Float32Array(nUsers).fill(Number.NaN);
    for (const u of userRaw) {
      age.set(u.row, ageBucket(u.age));
      gender.set(u.row, u.gender);
      occupation.set(u.row, u.occupation);
      ageNum[u.row] = u.age;
    }
    out.userFeatures = {
      categorical: { age: age.build(), gender: gender.build(), occupation: occupation.build() },
      multiHot: {},
      numeric: { age: ageNum },
    };
  }
  return out;
}
