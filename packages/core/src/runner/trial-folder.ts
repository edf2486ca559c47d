import { rmSync } from 'node:fs';
import { EmbrecError } from '../errors.ts';
import { promoteFolder, writeJsonAtomic } from './fs.ts';
import { layout, type TrialStatus } from './layout.ts';
import { assertInside, assertReplaceable, writeMarker } from './marker.ts';

/**
 * Why a trial may not be written to its folder (outside the sweep folder, or a folder embrec did
 * not make is in the way), or undefined. Checked before anything of the trial is written.
 */
export function trialFolderRefusal(sweepDir: string, trial: string): EmbrecError | undefined {
  try {
    const target = assertInside(sweepDir, layout.trialDir(sweepDir, trial), `trial "${trial}"`);
    assertInside(sweepDir, layout.stagingDir(sweepDir, trial), `trial "${trial}"`);
    assertReplaceable(target);
    return undefined;
  } catch (e) {
    if (e instanceof EmbrecError) return e;
    throw e;
  }
}

/** A fresh staging folder for a trial, with embrec's marker. */
export function stageTrial(staging: string): void {
  rmSync(staging, { recursive: true, force: true });
  writeMarker(staging, 'trial');
}

/**
 * Writes the trial's status and renames its staging folder into place. When that fails (a full
 * disk) the staging folder is removed and the error returned: a failed trial never stays in
 * `.staging`.
 */
export function commitTrial(staging: string, target: string, status: TrialStatus): Error | undefined {
  try {
    writeJsonAtomic(layout.status(staging), status);
    promoteFolder(staging, target);
    return undefined;
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    return e as Error;
  }
}
