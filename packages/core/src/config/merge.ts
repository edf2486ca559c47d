/** Plain-object test (YAML mappings). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Deep merge for `extends:`: mappings merge key by key, everything else (lists too) is replaced.
 * With `dropNull` (a file that extends another), a key set to `null` is removed from the result:
 * `sweep: { params: { loss.temperature: null } }` drops an inherited sweep axis.
 */
export function deepMerge(base: unknown, over: unknown, dropNull = false): unknown {
  if (isPlainObject(base) && isPlainObject(over)) {
    // A component block whose type changes is replaced whole: params of another type do not apply.
    if (typeof base.type === 'string' && typeof over.type === 'string' && base.type !== over.type)
      return clone(over);
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
      if (dropNull && v === null) delete out[k];
      else define(out, k, Object.hasOwn(base, k) ? deepMerge(base[k], v, dropNull) : clone(v));
    }
    return out;
  }
  return clone(over);
}

/** Sets an own property without ever invoking a setter (`__proto__` stays a plain key). */
export function define(obj: Record<string | number, unknown>, key: string | number, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Config path segments that reach an object's prototype; refused in sweep and --set paths. */
export function reservedSegment(path: readonly (string | number)[]): string | undefined {
  for (const seg of path) if (seg === '__proto__' || seg === 'constructor' || seg === 'prototype') return seg;
  return undefined;
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (structuredClone(v) as T);
}

/** Splits "a.b[0].c" or "a.b.0.c" into segments. Keys may be quoted: sweep.params['loss.temperature']. */
export function parsePath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/g;
  for (const m of path.matchAll(re)) {
    if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(m[3]);
    else if (m[4] !== undefined) out.push(m[4]);
    else if (m[1] !== undefined) out.push(/^\d+$/.test(m[1]) ? Number(m[1]) : m[1]);
  }
  return out;
}

export function formatPath(path: readonly (string | number | symbol)[]): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else if (typeof seg === 'symbol') s += `.${String(seg)}`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) s += s === '' ? seg : `.${seg}`;
    else s += `['${seg}']`;
  }
  return s;
}

export function getPath(obj: unknown, path: readonly (string | number)[]): unknown {
  let cur = obj;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, seg)) return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** Sets a value at a path, creating mappings on the way; only own properties are followed. */
export function setPath(
  obj: Record<string, unknown>,
  path: readonly (string | number)[],
  value: unknown,
): void {
  let cur: Record<string | number, unknown> = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    const next = Object.hasOwn(cur, seg) ? cur[seg] : undefined;
    if (next === null || typeof next !== 'object') {
      const created: Record<string, unknown> = {};
      define(cur, seg, created);
      cur = created;
    } else cur = next as Record<string | number, unknown>;
  }
  const lastSeg = path[path.length - 1];
  if (lastSeg !== undefined) define(cur, lastSeg, value);
}

/** Replaces ${VAR} and ${VAR:-default} in every string. Unset variables without default are reported. */
export function interpolateEnv(
  v: unknown,
  env: NodeJS.ProcessEnv,
  onMissing: (name: string, path: (string | number)[]) => void,
  path: (string | number)[] = [],
): unknown {
  if (typeof v === 'string') {
    // A value that is one whole ${...} takes the type its text reads as: `dim: ${DIM:-64}` is a number.
    const whole = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/.test(v);
    const text = v.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
      (_m, name: string, def: string | undefined) => {
        const val = env[name];
        if (val !== undefined && val !== '') return val;
        if (def !== undefined) return def;
        onMissing(name, path);
        return '';
      },
    );
    if (whole) {
      if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)) return Number(text);
      if (text === 'true' || text === 'false') return text === 'true';
    }
    return text;
  }
  if (Array.isArray(v)) return v.map((x, i) => interpolateEnv(x, env, onMissing, [...path, i]));
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) define(out, k, interpolateEnv(x, env, onMissing, [...path, k]));
    return out;
  }
  return v;
}
