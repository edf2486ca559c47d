import { DataError } from '@embrec/core';

/** Where a value came from: a file, a 1-based line, a field name. */
export interface Site {
  readonly file: string;
  readonly line?: number;
  readonly field?: string;
}

function quote(found: string): string {
  const s = found.length > 60 ? `${found.slice(0, 57)}...` : found;
  return JSON.stringify(s);
}

/** A DataError naming file, line, field, what was expected and what was found. */
export function badValue(site: Site, expected: string, found: string): DataError {
  const where = `${site.file}${site.line !== undefined ? `:${site.line}` : ''}`;
  const field = site.field !== undefined ? ` field "${site.field}":` : '';
  return new DataError(`${where}:${field} expected ${expected}, found ${quote(found)}`);
}

/** A DataError about a whole file (missing, empty). */
export function badFile(file: string, message: string): DataError {
  return new DataError(`${file}: ${message}`);
}

/** Parses an integer field or throws a DataError naming the place. */
export function parseIntField(s: string | undefined, file: string, line: number, field: string): number {
  if (s === undefined) throw badValue({ file, line, field }, 'an integer', '(missing field)');
  // fast path: plain digits
  let ok = s.length > 0 && s.length < 16;
  for (let k = 0; ok && k < s.length; k++) {
    const c = s.charCodeAt(k);
    ok = c >= 48 && c <= 57;
  }
  if (ok) return Number(s);
  const t = s.trim();
  if (!/^[+-]?\d+$/.test(t)) throw badValue({ file, line, field }, 'an integer', s);
  return Number(t);
}

/** Parses a finite number field or throws a DataError naming the place. */
export function parseNumberField(s: string | undefined, file: string, line: number, field: string): number {
  if (s === undefined) throw badValue({ file, line, field }, 'a number', '(missing field)');
  const t = s.trim();
  const v = t === '' ? Number.NaN : Number(t);
  if (!Number.isFinite(v)) throw badValue({ file, line, field }, 'a number', s);
  return v;
}

/** A non-empty ID field. */
export function parseIdField(s: string | undefined, file: string, line: number, field: string): string {
  if (s === undefined) throw badValue({ file, line, field }, 'an ID', '(missing field)');
  const t = s.trim();
  if (t === '') throw badValue({ file, line, field }, 'a non-empty ID', s);
  return t;
}
