import { badValue } from './errors.ts';
import { type Encoding, readLines, splitCsvLine } from './text.ts';

/** One record of a delimited file: its fields and 1-based line number. */
export interface DelimitedRecord {
  readonly fields: string[];
  readonly line: number;
}

/**
 * Reads a delimited file, checking that every record has `fields` fields (or at least `minFields`).
 * `csv: true` applies RFC 4180 quoting. Blank lines are skipped. `header: true` returns the first
 * record separately.
 */
export function readDelimited(
  file: string,
  opts: {
    delimiter: string;
    encoding?: Encoding;
    fields?: number;
    minFields?: number;
    csv?: boolean;
    header?: boolean;
    /** Names of the fields, for error messages ("rating" rather than "field 3"). */
    names?: readonly string[];
  },
): { header: string[] | undefined; records: DelimitedRecord[] } {
  const lines = readLines(file, opts.encoding ?? 'utf8');
  const records: DelimitedRecord[] = [];
  let header: string[] | undefined;
  for (let k = 0; k < lines.length; k++) {
    const text = lines[k]!;
    const line = k + 1;
    if (text.trim() === '') continue;
    const fields = opts.csv ? splitCsvLine(text, opts.delimiter) : text.split(opts.delimiter);
    if (fields === undefined) throw badValue({ file, line }, 'a closed quoted field', text);
    if (opts.header && header === undefined) {
      header = fields.map((f) => f.trim());
      continue;
    }
    const want = opts.fields;
    if (
      (want !== undefined && fields.length !== want) ||
      (opts.minFields !== undefined && fields.length < opts.minFields)
    ) {
      const exp = want !== undefined ? `${want}` : `at least ${opts.minFields}`;
      const sep = opts.delimiter === '\t' ? 'tab' : `"${opts.delimiter}"`;
      throw badValue(
        { file, line },
        `${exp} ${sep}-separated fields${opts.names ? ` (${opts.names.join(', ')})` : ''}`,
        `${fields.length} fields in ${text}`,
      );
    }
    records.push({ fields, line });
  }
  return { header, records };
}
