import type { Dataset } from '@embrec/core';
import type { z } from 'zod';
import { InteractionsBuilder } from '../../common/builder.ts';
import { badFile, badValue, parseIdField, parseNumberField } from '../../common/errors.ts';
import { readDelimited } from '../../common/records.ts';
import type { columnsSchema, csvSchema } from './component.ts';

type Columns = z.output<typeof columnsSchema>;
const ROLES = ['user', 'item', 'rating', 'timestamp', 'weight'] as const;

/** Resolves the column mapping to field indices (and names for messages). */
export function resolveColumns(
  file: string,
  columns: Columns,
  header: string[] | undefined,
): Partial<Record<(typeof ROLES)[number], { index: number; name: string }>> {
  const out: Partial<Record<(typeof ROLES)[number], { index: number; name: string }>> = {};
  for (const role of ROLES) {
    const c = columns[role];
    if (c === undefined) continue;
    if (typeof c === 'number') {
      out[role] = { index: c, name: header?.[c] ?? `column ${c}` };
      continue;
    }
    if (header === undefined)
      throw badFile(
        file,
        `columns.${role} is the name "${c}" but header is false: use a 0-based column index`,
      );
    const index = header.indexOf(c);
    if (index < 0)
      throw badValue(
        { file, line: 1, field: 'header' },
        `a column "${c}" (columns.${role})`,
        header.join(','),
      );
    out[role] = { index, name: c };
  }
  return out;
}

export function loadCsv(file: string, p: z.output<typeof csvSchema>): Dataset {
  const delimiter = p.delimiter === 'tab' ? '\t' : p.delimiter;
  const { header, records } = readDelimited(file, {
    delimiter,
    csv: true,
    header: p.header,
    encoding: p.encoding,
  });
  if (p.header && header === undefined) throw badFile(file, 'expected a header line, found an empty file');
  const cols = resolveColumns(file, p.columns, header);
  const width = Math.max(...Object.values(cols).map((c) => c.index)) + 1;
  const b = new InteractionsBuilder({
    columns: { ratings: !!cols.rating, timestamps: !!cols.timestamp, weights: !!cols.weight },
  });
  for (const r of records) {
    if (r.fields.length < width)
      throw badValue(
        { file, line: r.line },
        `at least ${width} fields`,
        `${r.fields.length} fields in ${r.fields.join(delimiter)}`,
      );
    const num = (role: 'rating' | 'timestamp' | 'weight') =>
      cols[role] ? parseNumberField(r.fields[cols[role].index], file, r.line, cols[role].name) : undefined;
    const values: { rating?: number; timestamp?: number; weight?: number } = {};
    const rating = num('rating');
    const timestamp = num('timestamp');
    const weight = num('weight');
    if (rating !== undefined) values.rating = rating;
    if (timestamp !== undefined) values.timestamp = timestamp;
    if (weight !== undefined) values.weight = weight;
    b.add(
      parseIdField(r.fields[cols.user!.index], file, r.line, cols.user!.name),
      parseIdField(r.fields[cols.item!.index], file, r.line, cols.item!.name),
      values,
    );
  }
  return { name: p.name, interactions: b.build() };
}
