import { badFile, badValue } from '../../common/errors.ts';
import { readDelimited } from '../../common/records.ts';
import { readArrowTable } from '../parquet/load.ts';

/** One row of a table file: its 1-based line (CSV) or row number (Parquet) and its fields by column. */
export interface TableRow {
  readonly line: number;
  get(column: number): string | undefined;
}

/** A table read from CSV (header line) or Parquet, with every value as text (dates as ISO strings). */
export interface Table {
  readonly file: string;
  readonly columns: readonly string[];
  readonly rows: readonly TableRow[];
}

/** The column's index, or a DataError naming the file, the option and the columns it has. */
export function requireColumn(t: Table, name: string, option: string): number {
  const i = t.columns.indexOf(name);
  if (i < 0)
    throw badValue({ file: t.file, line: 1, field: option }, `a column "${name}"`, t.columns.join(','));
  return i;
}

function isParquet(file: string, format: 'auto' | 'csv' | 'parquet'): boolean {
  return format === 'parquet' || (format === 'auto' && /\.parquet$/i.test(file));
}

/** Reads a CSV (RFC 4180, header line) or Parquet file as text rows. */
export async function readTable(
  file: string,
  opts: { format: 'auto' | 'csv' | 'parquet'; delimiter: string },
): Promise<Table> {
  if (isParquet(file, opts.format)) return readParquetTable(file);
  const delimiter = opts.delimiter === 'tab' ? '\t' : opts.delimiter;
  const { header, records } = readDelimited(file, { delimiter, csv: true, header: true });
  if (header === undefined)
    throw badFile(file, 'expected a header line with column names, found an empty file');
  const rows: TableRow[] = [];
  for (const r of records) {
    if (r.fields.length !== header.length)
      throw badValue(
        { file, line: r.line },
        `${header.length} fields (${header.join(',')})`,
        `${r.fields.length} fields in ${r.fields.join(delimiter)}`,
      );
    const fields = r.fields;
    rows.push({ line: r.line, get: (c) => fields[c] });
  }
  return { file, columns: header, rows };
}

async function readParquetTable(file: string): Promise<Table> {
  const table = await readArrowTable(file);
  const columns = table.schema.fields.map((f) => f.name);
  const cols = columns.map((c) => table.getChild(c)!);
  const text = (v: unknown): string | undefined => {
    if (v === null || v === undefined) return '';
    if (v instanceof Date) return v.toISOString();
    return String(v);
  };
  const rows: TableRow[] = [];
  for (let r = 0; r < table.numRows; r++)
    rows.push({ line: r + 1, get: (c) => (c < cols.length ? text(cols[c]!.get(r)) : undefined) });
  return { file, columns, rows };
}
