import type { Scorer } from '@embrec/core';

/**
 * A `scores` scorer that fills one user's row of item scores at a time ([B, items], zeros for a user
 * outside 0 … numUsers − 1): the neighbourhood models (ItemKNN, Item2Vec's knn scoring) sum into it.
 */
export function rowScorer(
  numItems: number,
  numUsers: number,
  fill: (user: number, row: Float32Array<ArrayBuffer>) => void,
): Scorer {
  return {
    kind: 'scores',
    numItems,
    scoreUsers: (users) => {
      const out = new Float32Array(users.length * numItems); // [B, items]
      for (let b = 0; b < users.length; b++) {
        const u = users[b]!;
        if (u >= 0 && u < numUsers) fill(u, out.subarray(b * numItems, (b + 1) * numItems));
      }
      return out;
    },
  };
}
