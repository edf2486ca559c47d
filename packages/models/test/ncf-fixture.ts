import type { Splits } from '@embrec/core';
import { selectRows } from '@embrec/core';
import { tinyClusteredDataset } from '@embrec/core/testing';

/** The tiny clustered fixture with each user's first training item moved to validation. */
export function withValid(): { splits: Splits; fx: ReturnType<typeof tinyClusteredDataset> } {
  const fx = tinyClusteredDataset();
  const tr = fx.splits.train;
  const taken = new Set<number>();
  const isValid = new Uint8Array(tr.users.length);
  for (let r = 0; r < tr.users.length; r++)
    if (!taken.has(tr.users[r]!)) {
      taken.add(tr.users[r]!);
      isValid[r] = 1;
    }
  const keep = isValid.map((v) => 1 - v);
  return {
    fx,
    splits: { train: selectRows(tr, keep), valid: selectRows(tr, isValid), test: fx.splits.test },
  };
}
