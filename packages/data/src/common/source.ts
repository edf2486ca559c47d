import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { DataError, type TrialContext, UsageError, writeFileAtomic, writeFolderAtomic } from '@embrec/core';
import { z } from 'zod';
import { extractZip } from './zip.ts';

/** Schema fields every file-based dataset accepts. */
export const sourceFields = {
  path: z
    .string()
    .optional()
    .describe('Local file or folder with the data (relative paths resolve from the experiment file)'),
  url: z.string().optional().describe('Download URL (a .zip is extracted); cached under $EMBREC_CACHE'),
  sha256: z.string().optional().describe('Expected SHA-256 (hex) of the downloaded file; checked when given'),
};

export interface SourceParams {
  readonly path?: string | undefined;
  readonly url?: string | undefined;
  readonly sha256?: string | undefined;
}

export function cacheDir(): string {
  return process.env.EMBREC_CACHE ?? join(homedir(), '.cache', 'embrec');
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Where a source lives locally, and its provenance (path or url + checksum). */
export interface ResolvedSource {
  readonly path: string;
  readonly provenance: Record<string, string>;
}

/**
 * Resolves `path` (relative to ctx.configDir) or downloads `url` into the cache (checked against
 * `sha256`; zips are extracted next to the download). `defaultUrl` is used when neither is given.
 */
export async function resolveSource(
  dataset: string,
  params: SourceParams,
  ctx: Pick<TrialContext, 'configDir' | 'log'>,
  defaultUrl?: string,
): Promise<ResolvedSource> {
  if (params.path !== undefined) {
    const p = resolve(ctx.configDir, params.path);
    if (!existsSync(p))
      throw new DataError(`${dataset}: path "${params.path}" does not exist (resolved to ${p})`);
    return { path: p, provenance: { path: p } };
  }
  const url = params.url ?? defaultUrl;
  if (url === undefined) throw new UsageError(`${dataset}: give "path" (a local file or folder) or "url"`);
  const file = join(cacheDir(), 'downloads', basename(new URL(url).pathname) || 'download');
  if (!existsSync(file)) await download(dataset, url, file);
  const sum = sha256File(file);
  if (params.sha256 !== undefined && sum.toLowerCase() !== params.sha256.toLowerCase()) {
    throw new DataError(
      `${file}: expected SHA-256 ${params.sha256.toLowerCase()}, found ${sum} (downloaded from ${url}); delete the file to download it again`,
    );
  }
  if (params.sha256 === undefined)
    ctx.log.warn(`${dataset}: no sha256 given for ${url}; its SHA-256 is ${sum}`);
  let path = file;
  if (file.endsWith('.zip')) {
    path = file.slice(0, -4);
    if (!existsSync(join(path, '.complete'))) {
      // extracted into a temporary sibling and renamed into place (core's one folder writer)
      await writeFolderAtomic(path, (tmp) => {
        unzipTo(file, tmp);
        writeFileAtomic(join(tmp, '.complete'), sum);
      });
    }
  }
  return { path, provenance: { url, sha256: sum, cached: file } };
}

async function download(dataset: string, url: string, file: string): Promise<void> {
  let data: Uint8Array;
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    data = new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    throw new DataError(
      `${dataset}: could not download ${url} (${(e as Error).message}${(e as Error).cause ? `: ${String((e as { cause: unknown }).cause)}` : ''}). ` +
        `Download it yourself and put it at ${file}, or set "path" to a local copy.`,
    );
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, data);
}

function unzipTo(zip: string, dir: string): void {
  const r = spawnSync('unzip', ['-q', '-o', zip, '-d', dir], { stdio: 'ignore' });
  if (r.status === 0) return;
  extractZip(readFileSync(zip), dir, zip);
}

/**
 * Finds `name` in `dir` or in one level of sub-folders (zips usually hold one folder).
 * Returns undefined when absent.
 */
export function findFile(dir: string, name: string): string | undefined {
  const direct = join(dir, name);
  if (existsSync(direct)) return direct;
  for (const e of readdirSync(dir)) {
    const sub = join(dir, e, name);
    if (statSync(join(dir, e)).isDirectory() && existsSync(sub)) return sub;
  }
  return undefined;
}

/** Like findFile, but a missing file is a DataError that names what was expected. */
export function requireFile(dataset: string, dir: string, name: string): string {
  const f = findFile(dir, name);
  if (f === undefined) throw new DataError(`${dataset}: expected a file "${name}" in ${dir}, found none`);
  return f;
}
