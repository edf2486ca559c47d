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
): { header: string[] | undefined; records: Iterable<DelimitedRecord> } {
  const lines = readLines(file, opts.encoding ?? 'utf8');
  const split = (text: string, line: number): string[] => {
    const fields = opts.csv ? splitCsvLine(text, opts.delimiter) : text.split(opts.delimiter);
    if (fields === undefined) throw badValue({ file, line }, 'a closed quoted field', text);
    return fields;
  };
  let first = 0;
  let header: string[] | undefined;
  if (opts.header) {
    while (first < lines.length && lines[first]!.trim() === '') first++;
    if (first < lines.length) header = split(lines[first]!, first + 1).map((f) => f.trim());
    first++;
  }
  const want = opts.fields;
  const min = opts.minFields;
  function* records(): Generator<DelimitedRecord> {
    for (let k = first; k < lines.length; k++) {
      const text = lines[k]!;
      if (text.length === 0 || (text.charCodeAt(0) <= 32 && text.trim() === '')) continue;
      const fields = split(text, k + 1);
      if ((want !== undefined && fields.length !== want) || (min !== undefined && fields.length < min)) {
        const exp = want !== undefined ? `${want}` : `at least ${min}`;
        const sep = opts.delimiter === '\t' ? 'tab' : `"${opts.delimiter}"`;
        const names = opts.names ? ` (${opts.names.join(', ')})` : '';
        throw badValue(
          { file, line: k + 1 },
          `${exp} ${sep}-separated fields${names}`,
          `${fields.length} fields in ${text}`,
        );
      }
      yield { fields, line: k + 1 };
    }
  }
  return { header, records: records() };
}
