import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import { escapeControl, quote, slugFromFileName } from './names.ts';

/** One parsed experiment file, with what is needed to point at lines. */
export interface SourceFile {
  readonly path: string;
  readonly data: Record<string, unknown>;
  /** 1-based line of the value at a config path in this file, if the file defines it. */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

/** The largest experiment file (or file named by `extends:`) embrec reads. */
export const MAX_FILE_BYTES = 1 << 20;
/** The most map keys and list items in one file. */
export const MAX_NODES = 20_000;
/** The deepest nesting of mappings and lists in one file. */
export const MAX_DEPTH = 64;
/** The most aliases (`*name`) a file may use (a guard against alias bombs). */
export const MAX_ALIASES = 100;

/** Keys that would reach an object's prototype: never allowed in a file or a path. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

function fail(file: string, message: string, line?: number): never {
  throw new ConfigError(file, [line === undefined ? { path: '', message } : { path: '', message, line }]);
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isFIFO()) return 'a pipe';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Reads at most MAX_FILE_BYTES of a regular file: stat first (devices, pipes, folders and big files
 * are refused before any byte is read), then read through a non-blocking descriptor, stopping at
 * the limit in case the file grew.
 */
function readLimited(file: string): string {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(file, code === 'ENOENT' ? `File not found: ${file}` : `Cannot read ${file} (${code ?? 'error'})`);
  }
  if (!st.isFile()) fail(file, `Cannot read ${file}: not a regular file (${kindOf(st)})`);
  const tooBig = (n: number) =>
    `Cannot read ${file}: it is larger than 1 MB (${n} bytes); an experiment file is at most ${MAX_FILE_BYTES} bytes`;
  if (st.size > MAX_FILE_BYTES) fail(file, tooBig(st.size));
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    fail(file, `Cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    if (!fstatSync(fd).isFile()) fail(file, `Cannot read ${file}: not a regular file`);
    const buf = Buffer.alloc(MAX_FILE_BYTES + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n > MAX_FILE_BYTES) fail(file, tooBig(n));
    }
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Walks the parsed document (without following aliases): counts keys and items, checks nesting
 * depth, duplicate keys, non-scalar keys and reserved keys. Returns problems with their lines.
 */
function checkDocument(doc: Document, lc: LineCounter): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const lineAt = (n: unknown): number | undefined => {
    const off = (n as Node | undefined)?.range?.[0];
    return off === undefined ? undefined : lc.linePos(off).line;
  };
  const push = (message: string, at: unknown) => {
    const line = lineAt(at);
    issues.push(line === undefined ? { path: '', message } : { path: '', message, line });
  };
  let nodes = 0;
  const stack: [unknown, number][] = [[doc.contents, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth > MAX_DEPTH) {
      push(`Invalid YAML: nested more than ${MAX_DEPTH} levels deep`, node);
      return issues;
    }
    nodes += node.items.length;
    if (nodes > MAX_NODES) {
      push(`Invalid YAML: more than ${MAX_NODES} keys and list items in one file`, node);
      return issues;
    }
    if (isSeq(node)) {
      for (const item of node.items) stack.push([item, depth + 1]);
      continue;
    }
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = pair.key;
      if (!isScalar(key)) {
        push('Invalid YAML: map keys must be plain names or numbers', key ?? node);
        continue;
      }
      const k = `${typeof key.value}:${String(key.value)}`;
      if (seen.has(k)) push('Invalid YAML: Map keys must be unique', key);
      seen.add(k);
      if (String(key.value) === '__proto__') push('Key "__proto__" is not allowed', key);
      stack.push([pair.value, depth + 1]);
    }
  }
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

/**
 * Reads a YAML or JSON experiment file: a regular file of at most 1 MB, at most 20,000 keys and
 * items, 64 levels and 100 aliases. Syntax errors are ConfigErrors with their line; messages never
 * quote the file beyond the offending value.
 */
export function readSource(file: string): SourceFile {
  const text = readLimited(file);
  const lc = new LineCounter();
  const isJson = extname(file).toLowerCase() === '.json';
  if (isJson) {
    try {
      JSON.parse(text);
    } catch (e) {
      const msg = (e as Error).message;
      const pos = /position (\d+)/.exec(msg);
      const line = pos ? text.slice(0, Number(pos[1])).split('\n').length : undefined;
      // V8 quotes the text around the error ("... is not valid JSON"): keep only its first clause.
      const what = msg.replace(/ in JSON at position \d+.*$/s, '').replace(/, "[\s\S]*$/, '');
      const issue: ConfigIssue = { path: '', message: `Invalid JSON: ${escapeControl(what).slice(0, 120)}` };
      if (line !== undefined) issue.line = line;
      throw new ConfigError(file, [issue]);
    }
  }
  // JSON is YAML: parse both with the YAML parser to keep positions.
  let doc: Document;
  try {
    // logLevel 'error': the parser's own warnings (printed raw to stderr) are not shown.
    doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: false, logLevel: 'error' });
  } catch (e) {
    // The parser recurses: a stack overflow on absurd nesting is a config error too.
    fail(
      file,
      e instanceof RangeError
        ? `Invalid YAML: nested more than ${MAX_DEPTH} levels deep`
        : `Invalid YAML: ${escapeControl((e as Error).message.split('\n')[0] ?? '')}`,
    );
  }
  if (doc.errors.length > 0) {
    if (doc.errors.some((e) => /call stack/i.test(e.message)))
      fail(file, `Invalid YAML: nested more than ${MAX_DEPTH} levels deep`);
    const issues: ConfigIssue[] = doc.errors.slice(0, 20).map((e) => {
      const pos = e.linePos?.[0];
      const first = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
      const msg = escapeControl(first).slice(0, 200);
      return pos
        ? { path: '', message: `Invalid YAML: ${msg}`, line: pos.line }
        : { path: '', message: `Invalid YAML: ${msg}` };
    });
    throw new ConfigError(file, issues);
  }
  const structural = checkDocument(doc, lc);
  if (structural.length > 0) throw new ConfigError(file, structural.slice(0, 20));
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES }) as unknown;
  } catch (e) {
    fail(
      file,
      e instanceof RangeError
        ? `Invalid YAML: nested more than ${MAX_DEPTH} levels deep`
        : `Invalid YAML: too many aliases (at most ${MAX_ALIASES} expansions; an alias bomb?)`,
    );
  }
  if (data === null || data === undefined) {
    throw new ConfigError(file, [
      { path: '', message: 'The file is empty: expected a mapping of experiment settings' },
    ]);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(file, [
      {
        path: '',
        message: `Expected a mapping of experiment settings at the top level, found ${describe(data)}`,
        line: 1,
      },
    ]);
  }
  const lineOf = (path: readonly (string | number)[]): number | undefined => {
    let node: unknown = doc.contents;
    let last: Node | undefined = node as Node;
    let matched = 0;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        matched++;
        last = (pair.key as Node) ?? last;
        node = pair.value;
        if (node && (node as Node).range) last = node as Node;
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
        if (node && (node as Node).range) {
          last = node as Node;
          matched++;
        } else break;
      } else break;
    }
    if (matched === 0 && path.length > 0) return undefined; // not in this file
    const off = last?.range?.[0];
    return off === undefined ? undefined : lc.linePos(off).line;
  };
  return { path: file, data: data as Record<string, unknown>, lineOf };
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${quote(v, 40)}`;
  return `${typeof v} ${String(v)}`;
}

/** Resolves an `extends:` reference relative to the file that names it. */
export function resolveRelative(from: string, ref: string): string {
  return isAbsolute(ref) ? ref : resolve(dirname(from), ref);
}

/** The default experiment name: the file's name without extension, made a safe slug. */
export function experimentNameFromFile(file: string): string {
  return slugFromFileName(basename(file).replace(/\.(ya?ml|json)$/i, ''));
}
