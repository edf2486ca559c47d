import { readFileSync } from 'node:fs';
import { badFile, badValue } from '../../common/errors.ts';

/** One LightGCN-format file: pairs in file order. */
export interface PairList {
  readonly users: Int32Array;
  readonly items: Int32Array;
  readonly maxUser: number;
  readonly maxItem: number;
}

/**
 * Parses the LightGCN text format: one line per user, `user item item ...`, single spaces, 0-based
 * integer IDs. Blank lines are skipped; a user ID with no items is allowed (no pairs).
 */
export function parseLightGcnFile(file: string): PairList {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw badFile(file, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let cap = Math.max(16, buf.length >> 2);
  let users = new Int32Array(cap);
  let items = new Int32Array(cap);
  let n = 0;
  let maxUser = -1;
  let maxItem = -1;
  let line = 1;
  let i = 0;
  const len = buf.length;
  const fail = (field: string, start: number): never => {
    let end = start;
    while (end < len && buf[end] !== 0x20 && buf[end] !== 0x0a && buf[end] !== 0x0d) end++;
    const found =
      end === start
        ? start < len
          ? buf.toString('latin1', start, start + 1)
          : '(end of line)'
        : buf.toString('latin1', start, end);
    throw badValue(
      { file, line, field },
      'a non-negative integer ID separated by single spaces',
      found === '\n' ? '(end of line)' : found,
    );
  };
  while (i < len) {
    // one line
    if (buf[i] === 0x0a) {
      i++;
      line++;
      continue;
    }
    if (buf[i] === 0x0d && buf[i + 1] === 0x0a) {
      i += 2;
      line++;
      continue;
    }
    let field = 0;
    let user = -1;
    for (;;) {
      const start = i;
      let v = 0;
      while (i < len) {
        const c = buf[i]!;
        if (c < 0x30 || c > 0x39) break;
        v = v * 10 + (c - 0x30);
        i++;
      }
      const fieldName = field === 0 ? 'user' : `item ${field}`;
      if (i === start || v > 0x7fffffff) fail(fieldName, start);
      const c = i < len ? buf[i]! : 0x0a;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d) fail(fieldName, start);
      if (field === 0) {
        user = v;
        if (v > maxUser) maxUser = v;
      } else {
        if (n === cap) {
          cap *= 2;
          const u2 = new Int32Array(cap);
          u2.set(users);
          users = u2;
          const i2 = new Int32Array(cap);
          i2.set(items);
          items = i2;
        }
        users[n] = user;
        items[n] = v;
        n++;
        if (v > maxItem) maxItem = v;
      }
      field++;
      if (c === 0x20) {
        i++;
        // tolerate a trailing space before the end of the line
        if (i >= len || buf[i] === 0x0a || buf[i] === 0x0d) {
          if (buf[i] === 0x0d) i++;
          i++;
          line++;
          break;
        }
        continue;
      }
      if (c === 0x0d) {
        if (buf[i + 1] !== 0x0a) fail(fieldName, start);
        i++;
      }
      i++;
      line++;
      break;
    }
  }
  return { users: users.slice(0, n), items: items.slice(0, n), maxUser, maxItem };
}
