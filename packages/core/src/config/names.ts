import { createHash } from 'node:crypto';

/** The longest experiment name, in UTF-8 bytes (it is a folder name under the output folder). */
export const MAX_NAME_BYTES = 100;
/** Trial folder names are shortened (with a hash suffix) above this many bytes. */
export const MAX_TRIAL_NAME_BYTES = 96;

const SLUG = /^[A-Za-z0-9._-]+$/;

/**
 * Why `name` is not a safe experiment name (letters, digits, `-`, `_`, `.`; no `..`; not `.`; at
 * most 100 bytes), or undefined when it is one.
 */
export function nameProblem(name: string): string | undefined {
  const bytes = Buffer.byteLength(name);
  const rule = `use letters, digits, "-", "_" and "." (no "..", no path separator, no spaces or control characters, at most ${MAX_NAME_BYTES} bytes)`;
  if (bytes === 0) return `The experiment name is empty: ${rule}`;
  if (bytes > MAX_NAME_BYTES || !SLUG.test(name) || name.includes('..') || name === '.')
    return `Invalid experiment name ${quote(name)} (found ${bytes} bytes): ${rule}`;
  return undefined;
}

/** A safe experiment name made from a file name: unsafe characters become `_`. */
export function slugFromFileName(base: string): string {
  let s = base.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/\.{2,}/g, '.');
  if (s === '' || s === '.' || s === '_') s = 'experiment';
  return Buffer.byteLength(s) > MAX_NAME_BYTES ? shorten(s, base, MAX_NAME_BYTES) : s;
}

// Kept as they are in trial names; `/` becomes `~` (readable `model=toy~popular`), everything
// else, `~`, `%`, `#` and `^` included, is percent-encoded by UTF-8 byte, so the mapping is
// one-to-one, and the `#n` suffix of repeated trials and the `^` of shortened names are never
// produced by a value.
const TRIAL_SAFE = /[A-Za-z0-9._\-=,+@()[\]{}]/;

/**
 * A trial folder name from its readable form (`model=mf,seed=1`): one path segment, no control
 * characters, at most 96 bytes (longer ones keep a prefix and end in `^` + 16 hex digits of the
 * SHA-256 of the readable form). Deterministic, and different readable forms give different names.
 */
export function safeTrialName(readable: string): string {
  let out = '';
  for (const ch of readable) {
    if (TRIAL_SAFE.test(ch)) out += ch;
    else if (ch === '/') out += '~';
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (out.startsWith('.')) out = `%2E${out.slice(1)}`; // never `.`, `..` or a hidden folder
  if (out === '') out = 'run';
  return out.length > MAX_TRIAL_NAME_BYTES ? shorten(out, readable, MAX_TRIAL_NAME_BYTES, '^') : out;
}

/** Keeps an ASCII prefix of `s` and appends `mark` + 16 hex digits of the hash of `full`. */
function shorten(s: string, full: string, max: number, mark = '_'): string {
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 16);
  let prefix = s.slice(0, max - hash.length - 1);
  const pct = prefix.lastIndexOf('%');
  if (pct >= 0 && pct > prefix.length - 3) prefix = prefix.slice(0, pct); // not inside a %XX
  return `${prefix}${mark}${hash}`;
}

/**
 * A value quoted for an error message: control characters (and backslash, quote) escaped, long
 * values cut, so a message stays one readable line whatever the file held.
 */
export function quote(v: string, max = 60): string {
  const cut = [...v];
  const shown = cut.length > max ? `${cut.slice(0, max).join('')}…` : v;
  return `"${escapeControl(shown).replace(/"/g, '\\"')}"`;
}

/** Escapes control characters (C0, DEL, C1, line/paragraph separators) as \n, \t, \0, \xNN, \uNNNN. */
export function escapeControl(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: this is where they are escaped
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    switch (c) {
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      case '\u0000':
        return '\\0';
      default: {
        const code = c.charCodeAt(0);
        return code < 0x100
          ? `\\x${code.toString(16).padStart(2, '0')}`
          : `\\u${code.toString(16).padStart(4, '0')}`;
      }
    }
  });
}
