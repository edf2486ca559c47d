import { type FeatureTable, IdMap } from '@embrec/core';
import { describe, expect, it } from 'vitest';
import { attributeLabels, primaryLabel } from '../../src/analysis/attributes.ts';

const owner = IdMap.fromJSON(['a', 'b', 'c']);
const table: FeatureTable = {
  categorical: { brand: { values: Int32Array.of(1, -1, 0), vocab: ['X', 'Y'] } },
  multiHot: {
    genres: {
      bags: { rows: 3, cols: 3, indptr: Int32Array.of(0, 2, 2, 3), indices: Int32Array.of(2, 0, 1) },
      vocab: ['g0', 'g1', 'g2'],
    },
  },
  numeric: { year: Float32Array.of(1990, 1991, 1992) },
};

describe('item attributes', () => {
  it('aligns labels to the embedding rows by external ID', () => {
    const rows = IdMap.fromJSON(['c', 'a', 'zz']);
    const g = attributeLabels(table, 'genres', owner, rows, 'item');
    expect(Array.from(g.indptr)).toEqual([0, 1, 3, 3]);
    expect(Array.from(g.indices)).toEqual([1, 2, 0]);
    expect(Array.from(primaryLabel(g))).toEqual([1, 2, -1]);
    const b = attributeLabels(table, 'brand', owner, IdMap.fromJSON(['b', 'a']), 'item');
    expect(Array.from(primaryLabel(b))).toEqual([-1, 1]);
  });

  it('names the columns that exist when the attribute does not', () => {
    expect(() => attributeLabels(table, 'genre', owner, owner, 'item')).toThrow(
      'there is no categorical item attribute "genre" (did you mean "genres"?); the data set has: brand, genres (numeric, not usable for colouring: year)',
    );
    expect(() => attributeLabels(undefined, 'age', owner, owner, 'user')).toThrow(
      'the data set has no categorical user attributes, so there is no user attribute "age"',
    );
  });
});
