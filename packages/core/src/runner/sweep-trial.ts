import { appendFileSync } from 'node:fs';
import type { Trial } from '../config/load.ts';
import type { TrialConfig } from '../config/sections.ts';
import type { RootScope } from '../plugin/container.ts';
import type { Registry } from '../plugin/registry.ts';
import type { Logger } from '../util/log.ts';
import { type CheckpointKey, openCheckpoint } from './checkpoint-key.ts';
import type { TrialEnv } from './context.ts';
import { writeJsonAtomic } from './fs.ts';
import { layout, type TrialStatus } from './layout.ts';
import { formatError } from './sweep-util.ts';
import { AbortedError, runTrial, type TrialOutput } from './trial.ts';

/**
 * Runs one trial of a sweep in its staging folder: config and params first, the checkpoint opened
 * against its key (resumed or discarded, checkpoint-key.ts), the stages, then metrics and stage
 * times. A failure is returned, not thrown, and written to the trial's log; the trial's components
 * are disposed either way.
 */
export async function executeTrial(o: {
  readonly trial: Trial;
  readonly file: string;
  readonly registry: Registry;
  readonly root: RootScope;
  readonly env: TrialEnv;
  readonly log: Logger;
  readonly params: Record<string, string>;
  readonly key: CheckpointKey;
  /** The data fingerprint in the form of records written before content hashes (lazily). */
  readonly legacyData?: () => string;
  readonly force: boolean;
  readonly onStage: (stage: string, ms: number) => void;
  readonly setupBackend: (name: TrialConfig['backend'], threads: number) => Promise<string | undefined>;
}): Promise<{ status: TrialStatus['status']; error?: Error; out?: TrialOutput }> {
  const staging = o.env.stagingDir;
  const scope = o.root.trial();
  try {
    writeJsonAtomic(layout.config(staging), o.trial.config);
    writeJsonAtomic(layout.params(staging), o.params);
    openCheckpoint(o.env.checkpointDir, o.key, { force: o.force, log: o.log, legacyData: o.legacyData });
    const out = await runTrial({
      trial: o.trial,
      file: o.file,
      registry: o.registry,
      scope,
      env: o.env,
      log: o.log,
      onStage: o.onStage,
      setupBackend: o.setupBackend,
    });
    writeJsonAtomic(layout.metrics(staging), { protocol: out.protocol, values: out.metrics });
    writeJsonAtomic(layout.stages(staging), out.stages);
    return { status: 'FINISHED', out };
  } catch (e) {
    const error = e as Error;
    const status = e instanceof AbortedError || o.env.signal.aborted ? 'KILLED' : 'FAILED';
    // into the trial's log file only: the console gets the trial-end event
    try {
      appendFileSync(
        layout.logs(staging),
        `${new Date().toISOString()} ERROR ${status === 'KILLED' ? 'interrupted' : formatError(error)}\n`,
      );
    } catch {
      // a full disk: the error still reaches status.json (if it can be written) and the console
    }
    return { status, error };
  } finally {
    scope.dispose();
  }
}
