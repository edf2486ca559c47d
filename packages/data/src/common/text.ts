import { readFileSync } from 'node:fs';
import { badFile, badValue } from './errors.ts';

export type Encoding = 'utf8' | 'latin1';

/**
 * Reads a text file as lines (LF or CRLF), dropping a final empty line. UTF-8 files are checked:
 * invalid bytes are a DataError that points at the line (use `encoding: latin1` for such files).
 */
export function readLines(file: string, encoding: Encoding = 'utf8'): string[] {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw badFile(file, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let text: string;
  if (encoding === 'utf8') {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
    } catch {
      const lines = buf.toString('latin1').split('\n');
      let line = 1;
      for (const l of lines) {
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(l, 'latin1'));
        } catch {
          break;
        }
        line++;
      }
      throw badValue(
        { file, line },
        'UTF-8 text (set encoding: latin1 for Latin-1 files)',
        'invalid UTF-8 bytes',
      );
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  } else text = buf.toString('latin1');
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.endsWith('\r')) lines[i] = l.slice(0, -1);
  }
  return lines;
}

/**
 * Splits one CSV record (RFC 4180 quoting: "a, b" and "" for a quote). Returns undefined when a
 * quoted field is not closed on this line.
 */
export function splitCsvLine(line: string, delimiter: string): string[] | undefined {
  if (!line.includes('"')) return line.split(delimiter);
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= n) return undefined;
        const c = line[i]!;
        if (c === '"') {
          if (line[i + 1] === '"') {
            v += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else {
          v += c;
          i++;
        }
      }
      out.push(v);
      if (i >= n) return out;
      if (!line.startsWith(delimiter, i)) return undefined;
      i += delimiter.length;
    } else {
      const j = line.indexOf(delimiter, i);
      if (j < 0) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, j));
      i = j + delimiter.length;
    }
  }
}
