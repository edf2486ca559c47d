import { resolve } from 'node:path';
import { type Dataset, type FeatureTable, IdMap, makeInteractions, type TrialContext } from '@embrec/core';
import type { z } from 'zod';
import { badValue, parseIdField, parseNumberField } from '../../common/errors.ts';
import { CategoricalBuilder } from '../../common/features.ts';
import type { holdingsSchema } from './component.ts';
import { readTable, requireColumn, type Table } from './table.ts';

type Params = z.output<typeof holdingsSchema>;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** A date field as epoch seconds: YYYY-MM-DD (UTC), ISO 8601, or a plain number of seconds. */
export function parseDateField(s: string | undefined, file: string, line: number, field: string): number {
  const t = (s ?? '').trim();
  const expected = 'a date (YYYY-MM-DD, ISO 8601 or epoch seconds)';
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  if (!ISO_DATE.test(t)) throw badValue({ file, line, field }, expected, s ?? '(missing field)');
  const iso = t.length === 10 ? `${t}T00:00:00Z` : t.replace(' ', 'T');
  const ms = Date.parse(iso);
  // Date.parse rolls 2024-02-31 over to March: the day must print back as itself
  if (!Number.isFinite(ms) || (t.length === 10 && new Date(ms).toISOString().slice(0, 10) !== t))
    throw badValue({ file, line, field }, expected, t);
  return ms / 1000;
}

interface Rows {
  users: string[];
  items: string[];
  weights: number[];
  times: number[];
}

/**
 * Loads holdings: portfolio (user) × security (item) rows with a weight and an optional date,
 * validated row by row (errors name the file, line and field); rows are sorted by date (stable).
 * Repeated (portfolio, security) rows stay: the splitter's `duplicates` policy collapses them.
 */
export async function loadHoldings(
  file: string,
  p: Params,
  ctx: Pick<TrialContext, 'configDir' | 'log'>,
): Promise<Dataset> {
  const read = (path: string, format: 'auto' | 'csv' | 'parquet') =>
    readTable(path, { format, delimiter: p.delimiter });
  const secTable = p.securities
    ? await read(resolve(ctx.configDir, p.securities.path), p.securities.format)
    : undefined;
  const known = secTable ? tableIds(secTable, p.securities!.id, 'securities.id') : undefined;
  const h = await read(file, p.format);
  const c = p.columns;
  const iu = requireColumn(h, c.portfolio, 'columns.portfolio');
  const ii = requireColumn(h, c.security, 'columns.security');
  const iw = requireColumn(h, c.weight, 'columns.weight');
  const id = c.date !== undefined ? requireColumn(h, c.date, 'columns.date') : -1;
  const rows: Rows = { users: [], items: [], weights: [], times: [] };
  let zero = 0;
  for (const r of h.rows) {
    const user = parseIdField(r.get(iu), h.file, r.line, c.portfolio);
    const item = parseIdField(r.get(ii), h.file, r.line, c.security);
    const w = parseNumberField(r.get(iw), h.file, r.line, c.weight);
    if (w < 0 && !p.allowNegative)
      throw badValue(
        { file: h.file, line: r.line, field: c.weight },
        'a weight ≥ 0 (set allowNegative: true for short positions)',
        r.get(iw) ?? '',
      );
    if (known && !known.has(item))
      throw badValue(
        { file: h.file, line: r.line, field: c.security },
        `a security ID listed in ${secTable!.file}`,
        item,
      );
    const t = id >= 0 ? parseDateField(r.get(id), h.file, r.line, c.date!) : Number.NaN;
    if (w === 0) {
      zero++;
      continue;
    }
    rows.users.push(user);
    rows.items.push(item);
    rows.weights.push(w);
    rows.times.push(t);
  }
  if (rows.users.length === 0)
    throw badValue({ file: h.file }, 'at least one holding with a non-zero weight', `${h.rows.length} rows`);
  if (zero > 0) ctx.log.info(`holdings: ${h.file}: skipped ${zero} rows with weight 0`);
  const provenance: Record<string, string> = {};
  if (p.transactions) {
    const tx = p.transactions;
    const tFile = resolve(ctx.configDir, tx.path);
    provenance.transactions = tFile;
    const added = readTransactions(await read(tFile, tx.format), tx, known, secTable?.file, rows);
    ctx.log.info(`holdings: ${tFile}: ${added} buys added as interactions (transactions.use: ${tx.use})`);
  }
  const order = sortByDate(rows.times, id >= 0 || p.transactions !== undefined);
  if (order.moved > 0) ctx.log.info(`holdings: ${order.moved} rows out of date order were sorted by date`);
  const userIds = new IdMap();
  const itemIds = new IdMap();
  const n = order.rows.length;
  const users = new Int32Array(n);
  const items = new Int32Array(n);
  const weights = new Float32Array(n);
  const timestamps = new Float64Array(n);
  order.rows.forEach((k, r) => {
    users[r] = userIds.add(rows.users[k]!);
    items[r] = itemIds.add(rows.items[k]!);
    weights[r] = rows.weights[k]!;
    timestamps[r] = rows.times[k]!;
  });
  const dated = id >= 0 || p.transactions !== undefined;
  const out: { -readonly [K in keyof Dataset]: Dataset[K] } = {
    name: p.name,
    interactions: makeInteractions({
      userIds,
      itemIds,
      users,
      items,
      weights,
      timestamps: dated ? timestamps : undefined,
    }),
    provenance,
  };
  if (secTable && p.securities) {
    out.itemFeatures = tableFeatures(secTable, p.securities.id, itemIds, p.securities.factors ?? []);
    provenance.securities = secTable.file;
  }
  if (p.clients) {
    const ct = await read(resolve(ctx.configDir, p.clients.path), p.clients.format);
    tableIds(ct, p.clients.id, 'clients.id');
    out.userFeatures = tableFeatures(ct, p.clients.id, userIds, []);
    provenance.clients = ct.file;
  }
  return out;
}

/** The IDs of a side table, refusing repeats (a security listed twice has two sets of features). */
function tableIds(t: Table, idColumn: string, option: string): Set<string> {
  const c = requireColumn(t, idColumn, option);
  const seen = new Map<string, number>();
  for (const r of t.rows) {
    const id = parseIdField(r.get(c), t.file, r.line, idColumn);
    const prev = seen.get(id);
    if (prev !== undefined)
      throw badValue(
        { file: t.file, line: r.line, field: idColumn },
        `a new ID (first seen on line ${prev})`,
        id,
      );
    seen.set(id, r.line);
  }
  return new Set(seen.keys());
}

function readTransactions(
  t: Table,
  tx: NonNullable<Params['transactions']>,
  known: Set<string> | undefined,
  secFile: string | undefined,
  rows: Rows,
): number {
  const c = tx.columns;
  const ic = requireColumn(t, c.client, 'transactions.columns.client');
  const is = requireColumn(t, c.security, 'transactions.columns.security');
  const id = requireColumn(t, c.date, 'transactions.columns.date');
  const isd = requireColumn(t, c.side, 'transactions.columns.side');
  const ia = requireColumn(t, c.amount, 'transactions.columns.amount');
  let added = 0;
  for (const r of t.rows) {
    const client = parseIdField(r.get(ic), t.file, r.line, c.client);
    const item = parseIdField(r.get(is), t.file, r.line, c.security);
    if (known && !known.has(item))
      throw badValue(
        { file: t.file, line: r.line, field: c.security },
        `a security ID listed in ${secFile}`,
        item,
      );
    const date = parseDateField(r.get(id), t.file, r.line, c.date);
    const sideText = (r.get(isd) ?? '').trim().toLowerCase();
    const side =
      sideText === 'buy' || sideText === 'b' ? 1 : sideText === 'sell' || sideText === 's' ? -1 : 0;
    if (side === 0)
      throw badValue({ file: t.file, line: r.line, field: c.side }, 'buy or sell', r.get(isd) ?? '');
    const amount = parseNumberField(r.get(ia), t.file, r.line, c.amount);
    if (amount <= 0)
      throw badValue(
        { file: t.file, line: r.line, field: c.amount },
        'an amount > 0 (the side says buy or sell)',
        r.get(ia) ?? '',
      );
    if (tx.use === 'buys' && side > 0) {
      rows.users.push(client);
      rows.items.push(item);
      rows.weights.push(amount);
      rows.times.push(date);
      added++;
    }
  }
  return added;
}

/** Row order sorted by time (stable; undated rows keep file order), and how many rows moved. */
function sortByDate(times: number[], dated: boolean): { rows: number[]; moved: number } {
  const rows = times.map((_, k) => k);
  if (!dated) return { rows, moved: 0 };
  rows.sort((a, b) => times[a]! - times[b]! || a - b);
  let moved = 0;
  rows.forEach((k, r) => {
    if (k !== r) moved++;
  });
  return { rows, moved };
}

/**
 * A side table as features of `ids` (rows of IDs absent from the table: categorical -1, numeric
 * NaN). A column whose values all parse as numbers is numeric, otherwise categorical; `numeric`
 * columns must parse on every row.
 */
export function tableFeatures(
  t: Table,
  idColumn: string,
  ids: IdMap,
  numeric: readonly string[],
): FeatureTable {
  const idc = t.columns.indexOf(idColumn);
  for (const f of numeric) requireColumn(t, f, 'securities.factors');
  const rowOf = new Int32Array(t.rows.length);
  t.rows.forEach((r, k) => {
    rowOf[k] = ids.get((r.get(idc) ?? '').trim()) ?? -1;
  });
  const categorical: Record<string, { values: Int32Array; vocab: readonly string[] }> = {};
  const nums: Record<string, Float32Array> = {};
  t.columns.forEach((name, c) => {
    if (c === idc) return;
    const forced = numeric.includes(name);
    const isNum =
      forced ||
      t.rows.every((r) => {
        const v = (r.get(c) ?? '').trim();
        return v === '' || Number.isFinite(Number(v));
      });
    if (isNum) {
      const a = new Float32Array(ids.size).fill(Number.NaN);
      t.rows.forEach((r, k) => {
        const v = r.get(c) ?? '';
        if (!forced && v.trim() === '') return;
        const x = parseNumberField(v, t.file, r.line, name);
        if (rowOf[k]! >= 0) a[rowOf[k]!] = x;
      });
      nums[name] = a;
    } else {
      const b = new CategoricalBuilder(ids.size);
      t.rows.forEach((r, k) => {
        if (rowOf[k]! >= 0) b.set(rowOf[k]!, (r.get(c) ?? '').trim());
      });
      categorical[name] = b.build();
    }
  });
  return { categorical, multiHot: {}, numeric: nums };
}
