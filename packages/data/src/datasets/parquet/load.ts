import { readFileSync } from 'node:fs';
import { type Dataset, makeInteractions } from '@embrec/core';
import type { Table as ArrowTable } from 'apache-arrow';
import type { z } from 'zod';
import { InteractionsBuilder } from '../../common/builder.ts';
import { badFile, badValue } from '../../common/errors.ts';
import type { parquetSchema } from './component.ts';

interface Column {
  readonly length: number;
  get(i: number): unknown;
}

/** Reads a Parquet file into interactions: IDs may be strings or integers, numbers may be any width. */
export async function loadParquet(file: string, p: z.output<typeof parquetSchema>): Promise<Dataset> {
  const table = await readArrowTable(file);
  const names = table.schema.fields.map((f) => f.name);
  const col = (role: string, name: string): Column => {
    const c = table.getChild(name);
    if (!c)
      throw badValue({ file, field: `columns.${role}` }, `a column "${name}"`, `columns ${names.join(', ')}`);
    return c as unknown as Column;
  };
  const user = col('user', p.columns.user);
  const item = col('item', p.columns.item);
  const opt = (role: 'rating' | 'timestamp' | 'weight') =>
    p.columns[role] ? col(role, p.columns[role]) : undefined;
  const rating = opt('rating');
  const timestamp = opt('timestamp');
  const weight = opt('weight');
  const b = new InteractionsBuilder({
    columns: { ratings: !!rating, timestamps: !!timestamp, weights: !!weight },
  });
  const n = table.numRows;
  const id = (c: Column, role: string, r: number): string => {
    const v = c.get(r);
    if (v === null || v === undefined || v === '')
      throw badValue(
        { file, line: r + 1, field: p.columns[role as 'user'] },
        'an ID (row numbers are 1-based)',
        String(v),
      );
    return String(v);
  };
  const num = (
    c: Column | undefined,
    role: 'rating' | 'timestamp' | 'weight',
    r: number,
  ): number | undefined => {
    if (!c) return undefined;
    const raw = c.get(r);
    const v =
      raw instanceof Date ? raw.getTime() / 1000 : typeof raw === 'bigint' ? Number(raw) : (raw as number);
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw badValue(
        { file, line: r + 1, field: p.columns[role]! },
        'a finite number (row numbers are 1-based)',
        String(raw),
      );
    return v;
  };
  for (let r = 0; r < n; r++) {
    const values: { rating?: number; timestamp?: number; weight?: number } = {};
    const rv = num(rating, 'rating', r);
    const tv = num(timestamp, 'timestamp', r);
    const wv = num(weight, 'weight', r);
    if (rv !== undefined) values.rating = rv;
    if (tv !== undefined) values.timestamp = tv;
    if (wv !== undefined) values.weight = wv;
    b.add(id(user, 'user', r), id(item, 'item', r), values);
  }
  const x = b.build();
  return { name: p.name, interactions: makeInteractions({ ...x }) };
}

/** A Parquet file as an Arrow table (parquet-wasm → Arrow IPC); unreadable bytes are a data error naming the file. */
export async function readArrowTable(file: string): Promise<ArrowTable> {
  const [{ readParquet }, { tableFromIPC }] = await Promise.all([
    import('parquet-wasm'),
    import('apache-arrow'),
  ]);
  try {
    return tableFromIPC(readParquet(readFileSync(file)).intoIPCStream());
  } catch (e) {
    throw badFile(
      file,
      `expected a Parquet file, found bytes it cannot read (${e instanceof Error ? e.message : String(e)})`,
    );
  }
}
