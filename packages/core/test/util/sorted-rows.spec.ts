import { describe, expect, it } from 'vitest';
import { hasItem, sortedRows } from '../../src/index.ts';

describe('sortedRows / hasItem', () => {
  const users = Int32Array.from([1, 0, 1, 1, 2]);
  const items = Int32Array.from([7, 3, 2, 7, 5]);
  const rows = sortedRows(4, users, items);

  it('groups the pairs by user, items sorted within a row, duplicates kept', () => {
    expect(Array.from(rows.indptr)).toEqual([0, 1, 4, 5, 5]);
    expect(Array.from(rows.indices)).toEqual([3, 2, 7, 7, 5]);
  });

  it('finds exactly the items of each row', () => {
    for (let u = 0; u < 4; u++)
      for (let item = 0; item < 9; item++) {
        const truth = users.some((x, i) => x === u && items[i] === item);
        expect(hasItem(rows, u, item)).toBe(truth);
      }
  });

  it('is false for a user outside the rows', () => {
    expect(hasItem(rows, -1, 3)).toBe(false);
    expect(hasItem(rows, 4, 3)).toBe(false);
    expect(hasItem(rows, 99, 7)).toBe(false);
  });
});
