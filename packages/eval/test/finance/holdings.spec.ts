import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError, type Dataset } from '@embrec/core';
import { makeTestContext, makeTestCreateContext } from '@embrec/core/testing';
import { holdingsDataset, parseDateField, randomSplitter } from '@embrec/data';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'embrec-holdings-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function load(dir: string, params: Record<string, unknown>): Promise<Dataset> {
  const parsed = holdingsDataset.schema.parse({ path: 'holdings.csv', ...params });
  const c = await holdingsDataset.create(
    parsed as never,
    {} as never,
    makeTestCreateContext({ configDir: dir }),
  );
  return c.load(makeTestContext({ configDir: dir }));
}

const SECURITIES =
  'security,sector,asset_class,value,momentum\nA,Tech,Equity,0.5,-1\nB,Energy,Equity,-0.2,0.3\nC,Tech,Equity,1.1,0\n';

async function loadError(
  files: Record<string, string>,
  params: Record<string, unknown> = {},
): Promise<string> {
  const dir = folder(files);
  try {
    await load(dir, params);
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return (e as Error).message.replaceAll(dir, '<dir>');
  }
  throw new Error('expected a DataError');
}

describe('holdings loader', () => {
  it('reads holdings, sorts rows by date and turns the security and client tables into features', async () => {
    const dir = folder({
      'holdings.csv':
        'portfolio,security,weight,date\nP1,A,0.6,2024-03-31\nP1,B,0.4,2024-03-31\nP2,C,1.0,2023-12-31\nP2,A,0.5,2024-06-30\n',
      'securities.csv': SECURITIES,
      'clients.csv': 'client,style,aum\nP1,value,100\nP2,growth,250\n',
    });
    const d = await load(dir, {
      columns: { date: 'date' },
      securities: { path: 'securities.csv', id: 'security', factors: ['value', 'momentum'] },
      clients: { path: 'clients.csv', id: 'client' },
    });
    const x = d.interactions;
    // P2,C (2023-12-31) moves first; P2,A (2024-06-30) last
    expect(Array.from(x.users, (u) => x.userIds.external(u))).toEqual(['P2', 'P1', 'P1', 'P2']);
    expect(Array.from(x.items, (i) => x.itemIds.external(i))).toEqual(['C', 'A', 'B', 'A']);
    expect(Array.from(x.weights!)).toEqual([1, 0.6000000238418579, 0.4000000059604645, 0.5]);
    expect(x.timestamps![0]).toBe(Date.UTC(2023, 11, 31) / 1000);
    const f = d.itemFeatures!;
    expect(Object.keys(f.categorical).sort()).toEqual(['asset_class', 'sector']);
    const sector = f.categorical.sector!;
    expect(Array.from(sector.values, (v) => sector.vocab[v])).toEqual(['Tech', 'Tech', 'Energy']); // C, A, B
    expect(Array.from(f.numeric.value!)).toEqual([1.100000023841858, 0.5, -0.20000000298023224]);
    const style = d.userFeatures!.categorical.style!;
    expect(Array.from(style.values, (v) => style.vocab[v])).toEqual(['growth', 'value']); // P2, P1
    expect(Array.from(d.userFeatures!.numeric.aum!)).toEqual([250, 100]);
  });

  it('reads Parquet holdings (numbers as IDs, dates as text) and names the row of a bad value', async () => {
    const pq = await import('parquet-wasm');
    const parquet = (cols: Parameters<typeof tableFromArrays>[0]) =>
      pq.writeParquet(pq.Table.fromIPCStream(tableToIPC(tableFromArrays(cols), 'stream')));
    const dir = mkdtempSync(join(tmpdir(), 'embrec-holdings-pq-'));
    writeFileSync(
      join(dir, 'h.parquet'),
      parquet({
        portfolio: ['P1', 'P2', 'P1'],
        security: Int32Array.from([7, 7, 8]),
        weight: Float64Array.from([0.5, 1, 0.5]),
        date: ['2024-06-30', '2024-03-31', '2024-06-30'],
      }),
    );
    const d = await load(dir, { path: 'h.parquet', columns: { date: 'date' } });
    const x = d.interactions;
    expect(Array.from(x.users, (u) => x.userIds.external(u))).toEqual(['P2', 'P1', 'P1']);
    expect(Array.from(x.items, (i) => x.itemIds.external(i))).toEqual(['7', '7', '8']);
    writeFileSync(
      join(dir, 'bad.parquet'),
      parquet({ portfolio: ['P1', 'P2'], security: ['A', 'B'], weight: Float64Array.from([0.5, -1]) }),
    );
    await expect(load(dir, { path: 'bad.parquet' })).rejects.toThrow(
      `${join(dir, 'bad.parquet')}:2: field "weight": expected a weight ≥ 0`,
    );
  });

  it('refuses a negative weight unless short positions are allowed', async () => {
    const files = { 'holdings.csv': 'portfolio,security,weight\nP1,A,0.5\nP1,B,-0.1\n' };
    expect(await loadError(files)).toBe(
      '<dir>/holdings.csv:3: field "weight": expected a weight ≥ 0 (set allowNegative: true for short positions), found "-0.1"',
    );
    const d = await load(folder(files), { allowNegative: true });
    expect(d.interactions.weights![1]).toBeCloseTo(-0.1);
  });

  it('refuses a security missing from the security table', async () => {
    const msg = await loadError(
      { 'holdings.csv': 'portfolio,security,weight\nP1,A,0.5\nP1,ZZZ,0.5\n', 'securities.csv': SECURITIES },
      { securities: { path: 'securities.csv', id: 'security' } },
    );
    expect(msg).toBe(
      '<dir>/holdings.csv:3: field "security": expected a security ID listed in <dir>/securities.csv, found "ZZZ"',
    );
  });

  it('refuses unparsable dates, including days that do not exist', async () => {
    const bad = (d: string) =>
      loadError(
        { 'holdings.csv': `portfolio,security,weight,asof\nP1,A,1,2024-01-31\nP1,B,1,${d}\n` },
        { columns: { date: 'asof' } },
      );
    expect(await bad('31/01/2024')).toBe(
      '<dir>/holdings.csv:3: field "asof": expected a date (YYYY-MM-DD, ISO 8601 or epoch seconds), found "31/01/2024"',
    );
    expect(await bad('2024-02-31')).toContain('holdings.csv:3: field "asof"');
    expect(parseDateField('2024-02-29T12:00:00Z', 'f', 1, 'd')).toBe(Date.UTC(2024, 1, 29, 12) / 1000);
    expect(parseDateField('1700000000', 'f', 1, 'd')).toBe(1_700_000_000);
  });

  it('names a missing column, a non-numeric weight, a short row and a repeated security', async () => {
    expect(await loadError({ 'holdings.csv': 'account,security,weight\nP1,A,1\n' })).toBe(
      '<dir>/holdings.csv:1: field "columns.portfolio": expected a column "portfolio", found "account,security,weight"',
    );
    expect(await loadError({ 'holdings.csv': 'portfolio,security,weight\nP1,A,lots\n' })).toBe(
      '<dir>/holdings.csv:2: field "weight": expected a number, found "lots"',
    );
    expect(await loadError({ 'holdings.csv': 'portfolio,security,weight\nP1,A\n' })).toContain(
      'holdings.csv:2: expected 3 fields',
    );
    const msg = await loadError(
      {
        'holdings.csv': 'portfolio,security,weight\nP1,A,1\n',
        'securities.csv': `${SECURITIES}A,Tech,Equity,0,0\n`,
      },
      { securities: { path: 'securities.csv', id: 'security' } },
    );
    expect(msg).toBe(
      '<dir>/securities.csv:5: field "security": expected a new ID (first seen on line 2), found "A"',
    );
  });

  it('reads transactions: buys become rows, a bad side or amount names the line', async () => {
    const base = { 'holdings.csv': 'portfolio,security,weight\nP1,A,1\nP2,B,1\n' };
    const tx = (rows: string) => ({ ...base, 'tx.csv': `client,security,date,side,amount\n${rows}` });
    const dir = folder(tx('P1,B,2024-01-02,BUY,100\nP2,A,2024-01-01,sell,50\n'));
    const d = await load(dir, { transactions: { path: 'tx.csv' } });
    expect(d.interactions.users.length).toBe(3);
    expect(await loadError(tx('P1,B,2024-01-02,hold,100\n'), { transactions: { path: 'tx.csv' } })).toBe(
      '<dir>/tx.csv:2: field "side": expected buy or sell, found "hold"',
    );
    expect(await loadError(tx('P1,B,2024-01-02,buy,-5\n'), { transactions: { path: 'tx.csv' } })).toContain(
      'tx.csv:2: field "amount"',
    );
  });

  it('leaves repeated rows to the split, which collapses them with a count by default', async () => {
    const dir = folder({
      'holdings.csv':
        'portfolio,security,weight,date\nP1,A,1,2024-01-01\nP1,A,1,2024-02-01\nP1,B,1,2024-01-01\nP1,C,1,2024-01-01\nP2,A,1,2024-01-01\nP2,B,1,2024-01-01\nP2,C,1,2024-01-01\n',
    });
    const d = await load(dir, { columns: { date: 'date' } });
    expect(d.interactions.users.length).toBe(7);
    const warnings: string[] = [];
    const ctx = {
      ...makeTestContext(),
      log: { ...makeTestContext().log, warn: (m: string) => warnings.push(m) },
    };
    const split = await randomSplitter.create(
      randomSplitter.schema.parse({ ratio: 0.4 }) as never,
      {} as never,
      makeTestCreateContext(),
    );
    const s = split.split(d, ctx as never);
    expect(s.train.users.length + s.test.users.length).toBe(6);
    expect(warnings.join('\n')).toMatch(/collapsed 1 repeated \(user, item\) row/);
  });
});
