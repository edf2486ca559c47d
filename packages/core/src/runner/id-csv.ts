/**
 * ID maps as CSV: a header (`user_id` or `item_id`), then row i's external ID on line i + 2, so
 * row i of `<name>.npy` belongs to it. Fields are quoted (RFC 4180) when they hold a comma, quote
 * or line break. pandas: `pd.read_csv(path, dtype=str, keep_default_na=False)`.
 */
import { DataError } from '../errors.ts';

function field(s: string): string {
  return s === '' || /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function idCsv(column: string, ids: readonly string[]): string {
  return `${column}\n${ids.map(field).join('\n')}${ids.length > 0 ? '\n' : ''}`;
}

/** Reads one column of IDs written by idCsv; `path` names errors. */
export function parseIdCsv(text: string, path: string, column: string): string[] {
  const out: string[] = [];
  let i = 0;
  let line = 1;
  const next = (): string => {
    if (text[i] !== '"') {
      const end = text.slice(i).search(/\r?\n/);
      const v = end < 0 ? text.slice(i) : text.slice(i, i + end);
      if (v.includes('"') || v.includes(',')) {
        throw new DataError(
          `${path}, line ${line}: expected one ID per line (quote IDs holding "," or '"'), found ${JSON.stringify(v)}`,
        );
      }
      i += v.length;
      return v;
    }
    let v = '';
    i++;
    for (;;) {
      if (i >= text.length) throw new DataError(`${path}, line ${line}: unterminated quoted ID`);
      const c = text[i++]!;
      if (c === '"' && text[i] === '"') {
        v += '"';
        i++;
      } else if (c === '"') return v;
      else v += c;
    }
  };
  const head = next();
  if (head !== column)
    throw new DataError(`${path}, line 1: expected the header "${column}", found ${JSON.stringify(head)}`);
  while (i < text.length) {
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    line++;
    if (i >= text.length) break;
    out.push(next());
  }
  return out;
}
