import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { EmbrecError } from '../errors.ts';

/**
 * Folders embrec makes carry a marker file; embrec replaces or removes a folder only when it
 * carries one, so a folder the user made (or another tool's) is never deleted by a rerun.
 */
export const MARKERS = { trial: '.embrec-trial', sweep: '.embrec-sweep' } as const;

export function writeMarker(dir: string, kind: keyof typeof MARKERS): void {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, MARKERS[kind]);
  if (!existsSync(p)) writeFileSync(p, 'made by embrec; embrec may replace this folder\n');
}

export function hasMarker(dir: string, kind: keyof typeof MARKERS = 'trial'): boolean {
  return existsSync(join(dir, MARKERS[kind]));
}

/** Throws unless `target` is absent or an embrec trial folder (which a rerun may replace). */
export function assertReplaceable(target: string): void {
  if (existsSync(target) && !hasMarker(target, 'trial')) {
    throw new EmbrecError(
      'E_NOT_OURS',
      `${target} exists and was not made by embrec (no ${MARKERS.trial} marker): embrec leaves it alone; move it away or choose another output folder (a trial folder of an embrec older than the marker: create an empty ${MARKERS.trial} file in it)`,
    );
  }
}

/** Resolves `path` and throws unless it lies strictly inside `root` (defence in depth for names). */
export function assertInside(root: string, path: string, what: string): string {
  const r = resolve(root);
  const p = resolve(path);
  const rel = relative(r, p);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new EmbrecError(
      'E_OUTSIDE_OUTPUT',
      `${what} resolves to ${p}, outside the output folder ${r}: embrec writes nothing there`,
    );
  }
  return p;
}
