import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '@embrec/core';

/**
 * How many times a failed trial was tried: `<trial>/attempts.json` ({ attempts }), written next to
 * its FAILED status.json by whatever retried it (a local or --shard run, a queue worker). A later
 * attempt replaces the whole trial folder, so the file never outlives the failure it counts.
 */
const FILE = 'attempts.json';

export function writeAttempts(trialDir: string, attempts: number): void {
  try {
    writeJsonAtomic(join(trialDir, FILE), { attempts });
  } catch {
    // a trial folder that could not be written has no status either: nothing to count
  }
}

/** The attempts recorded for a failed trial (1 when none were: a run without retries). */
export function readAttempts(trialDir: string): number {
  try {
    const n = (JSON.parse(readFileSync(join(trialDir, FILE), 'utf8')) as { attempts?: unknown }).attempts;
    return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 1;
  } catch {
    return 1;
  }
}
