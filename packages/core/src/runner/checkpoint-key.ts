import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  type Stats,
  statSync,
} from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { TrialConfig } from '../config/sections.ts';
import type { Logger } from '../util/log.ts';
import { writeJsonAtomic } from './fs.ts';
import type { TrialStatus } from './layout.ts';

/** What a checkpoint (and everything cached beside it) was produced from. */
export interface CheckpointKey {
  /** Hash of the resolved config (the MLflow `embrec.config_hash` tag). */
  readonly configHash: string;
  /** {@link dataFingerprint} of the files the data sections name (content hashes). */
  readonly data: string;
  /** Hash of both: a checkpoint is resumed only when this matches. */
  readonly key: string;
}

const KEY_FILE = 'checkpoint-key.json';
const MAX_FILES = 5000;

/**
 * A fingerprint of the data a trial reads: every string of the `dataset` and `transforms` sections
 * that names an existing file or folder (relative to the experiment's folder) contributes its path,
 * size and the SHA-256 of its bytes (folders: their files, two levels deep). Content, not mtimes: a
 * copy, a `touch` or a fresh checkout of the same files keeps finished trials and checkpoints; any
 * changed byte reruns. Downloads are named by url + sha256, which the config hash already covers.
 * The result starts with `c1-`; {@link legacyDataFingerprint} is the earlier (size + mtime) form,
 * still accepted for records written before.
 */
export function dataFingerprint(cfg: Pick<TrialConfig, 'dataset' | 'transforms'>, configDir: string): string {
  return `${CONTENT}${walkData(cfg, configDir, (p, st) => `${p}\0${st.size}\0${contentHash(p, st)}\n`)}`;
}

/** The fingerprint of records written before content hashes: path, size and mtime of each file. */
export function legacyDataFingerprint(
  cfg: Pick<TrialConfig, 'dataset' | 'transforms'>,
  configDir: string,
): string {
  return walkData(cfg, configDir, (p, st) => `${p}\0${st.size}\0${st.mtimeMs}\n`);
}

const CONTENT = 'c1-';

/**
 * Whether `recorded` (a status or checkpoint's `data`) names the data whose fingerprint is `data`; a
 * record in the earlier form is compared with `legacyData()` (computed only then).
 */
export function sameData(recorded: string, data: string, legacyData: (() => string) | undefined): boolean {
  if (recorded === data) return true;
  return !recorded.startsWith(CONTENT) && legacyData !== undefined && recorded === legacyData();
}

function walkData(
  cfg: Pick<TrialConfig, 'dataset' | 'transforms'>,
  configDir: string,
  line: (path: string, st: Stats) => string,
): string {
  const h = createHash('sha256');
  const seen = new Set<string>();
  const root = resolve(configDir);
  let files = 0;
  const statInto = (p: string, depth: number): void => {
    if (seen.has(p) || files >= MAX_FILES) return;
    seen.add(p);
    let st: Stats;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isFile()) {
      files++;
      h.update(line(p, st));
    } else if (st.isDirectory() && depth > 0 && relative(p, root).startsWith('..')) {
      // a folder (never the experiment's own folder or one of its parents)
      let names: string[] = [];
      try {
        names = readdirSync(p).sort();
      } catch {
        return;
      }
      for (const n of names) statInto(join(p, n), depth - 1);
    }
  };
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.length > 0 && v.length < 4096 && !/[\n\0]/.test(v)) statInto(resolve(root, v), 2);
    } else if (Array.isArray(v)) for (const x of v) visit(x);
    else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) visit(x);
  };
  visit(cfg.dataset);
  visit(cfg.transforms);
  return h.digest('hex').slice(0, 12);
}

/** SHA-256 of a file's bytes, read in 1 MiB blocks; remembered per path, size, mtime and inode. */
const hashes = new Map<string, string>();
function contentHash(p: string, st: Stats): string {
  const id = `${p}\0${st.size}\0${st.mtimeMs}\0${st.ino}`;
  const known = hashes.get(id);
  if (known !== undefined) return known;
  const h = createHash('sha256');
  let fd: number | undefined;
  try {
    fd = openSync(p, 'r');
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null))
      h.update(buf.subarray(0, n));
  } catch {
    return `unreadable:${st.mtimeMs}`; // not cached: a later call may read it
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const hex = h.digest('hex');
  hashes.set(id, hex);
  return hex;
}

/**
 * Whether a trial finished before with this config and these data files (`recordedHash`: the
 * config-hash tag of its status.json): a rerun skips it unless --force. Trials recorded before data
 * fingerprints existed match on the config alone.
 */
export function finishedBefore(
  status: TrialStatus | undefined,
  recordedHash: string | undefined,
  key: { configHash: string; data: string; legacyData?: () => string },
): boolean {
  return (
    status?.status === 'FINISHED' &&
    recordedHash === key.configHash &&
    (status.data === undefined || sameData(status.data, key.data, key.legacyData))
  );
}

export function checkpointKey(configHash: string, data: string): CheckpointKey {
  const key = createHash('sha256').update(`${configHash}\0${data}`).digest('hex').slice(0, 16);
  return { configHash, data, key };
}

function readKey(dir: string): CheckpointKey | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, KEY_FILE), 'utf8')) as CheckpointKey;
  } catch {
    return undefined;
  }
}

/**
 * Prepares a trial's checkpoint folder: kept when it was written for the same key (the trial
 * resumes), discarded otherwise or with `force`, and then stamped with the key. Returns whether
 * the trial may resume.
 */
export function openCheckpoint(
  dir: string,
  key: CheckpointKey,
  opts: { force: boolean; log: Logger; legacyData?: (() => string) | undefined },
): boolean {
  const used = existsSync(dir) && readdirSync(dir).some((n) => n !== KEY_FILE);
  if (used) {
    const old = readKey(dir);
    const same =
      old !== undefined &&
      (old.key === key.key ||
        (old.configHash === key.configHash && sameData(old.data, key.data, opts.legacyData)));
    if (same) {
      if (!opts.force) {
        if (old.key !== key.key) writeJsonAtomic(join(dir, KEY_FILE), key); // restamped in the content form
        return true;
      }
      opts.log.info(`--force: discarding the checkpoint in ${dir}`);
    } else {
      const owner = old?.configHash ?? '(unknown: written before checkpoints were keyed)';
      const data = old !== undefined && old.configHash === key.configHash ? ' with other data files' : '';
      opts.log.info(
        `starting from scratch: checkpoint belongs to config ${owner}${data}; this trial's config is ${key.configHash}`,
      );
    }
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeJsonAtomic(join(dir, KEY_FILE), key);
  return false;
}
