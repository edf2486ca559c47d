import { readFileSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.ts';

/** One parsed experiment file, with what is needed to point at lines. */
export interface SourceFile {
  readonly path: string;
  readonly data: Record<string, unknown>;
  /** 1-based line of the value at a config path in this file, if the file defines it. */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

/** Reads a YAML or JSON experiment file. Syntax errors are ConfigErrors with their line. */
export function readSource(file: string): SourceFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [
      {
        path: '',
        message:
          code === 'ENOENT' ? `File not found: ${file}` : `Cannot read ${file}: ${(e as Error).message}`,
      },
    ]);
  }
  const lc = new LineCounter();
  const isJson = extname(file).toLowerCase() === '.json';
  if (isJson) {
    try {
      JSON.parse(text);
    } catch (e) {
      const msg = (e as Error).message;
      const pos = /position (\d+)/.exec(msg);
      const line = pos ? text.slice(0, Number(pos[1])).split('\n').length : undefined;
      const issue: ConfigIssue = {
        path: '',
        message: `Invalid JSON: ${msg.replace(/ in JSON at position \d+.*$/, '')}`,
      };
      if (line !== undefined) issue.line = line;
      throw new ConfigError(file, [issue]);
    }
  }
  // JSON is YAML: parse both with the YAML parser to keep positions.
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues: ConfigIssue[] = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      const msg = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
      return pos
        ? { path: '', message: `Invalid YAML: ${msg}`, line: pos.line }
        : { path: '', message: `Invalid YAML: ${msg}` };
    });
    throw new ConfigError(file, issues);
  }
  const data = doc.toJS({ maxAliasCount: 100 }) as unknown;
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
  if (typeof v === 'string') return `the string "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  return `${typeof v} ${String(v)}`;
}

/** Resolves an `extends:` reference relative to the file that names it. */
export function resolveRelative(from: string, ref: string): string {
  return isAbsolute(ref) ? ref : resolve(dirname(from), ref);
}

export function experimentNameFromFile(file: string): string {
  return basename(file).replace(/\.(ya?ml|json)$/i, '');
}
