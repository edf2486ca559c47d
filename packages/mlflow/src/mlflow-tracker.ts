import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger, TrackedRunInfo, TrackerComponent } from '@embrec/core';
import { type MlflowClient, MlflowError } from './mlflow-client.ts';
import {
  appendOutbox,
  isOwnFile,
  OUTBOX_FILE,
  readMarker,
  readSweepFile,
  writeMarker,
} from './run-folder.ts';
import { configHash, embrecVersion, gitCommit, runKey, TAGS } from './tags.ts';

/**
 * The `mlflow` tracker: mirrors a sweep as a parent run with one nested run per trial. The run
 * folder stays the source of truth: a call that fails after the client's retries is written to
 * `mlflow-outbox.jsonl` in the run folder instead of failing the trial, the server is then treated
 * as away (no more waiting on it until the next trial finds it healthy), and the trial ends with
 * the warning "mlflow: N calls failed, run `embrec track sync` later". `syncRuns` pushes the
 * folders later; `mlflow.json` in each folder records the MLflow run so nothing is logged twice.
 */

/**
 * What the runner passes to startSweep/startTrial. `dir` is the run folder being written (the
 * sweep folder, or the trial folder): the outbox and the run marker go there. Without it they go
 * to the tracker's fallback folder.
 */
export type TrackedRunInfoWithDir = TrackedRunInfo & { readonly dir?: string };

export interface MlflowTrackerOptions {
  readonly client: MlflowClient;
  readonly log: Logger;
  /** MLflow experiment to log into instead of `info.experiment`. */
  readonly experimentName?: string | undefined;
  /** Outbox folder when no run folder is known. */
  readonly fallbackDir: string;
  /**
   * When the runner gives no `dir`, the sweep folder is the nearest folder above this one holding a
   * sweep.json of the same experiment (the component passes its checkpoint folder, which the runner
   * keeps inside the sweep folder); trials' markers and outbox entries then go to the sweep folder.
   */
  readonly searchFrom?: string;
  /** Folder whose git commit is tagged (the experiment file's). */
  readonly gitDir?: string;
  /** Upload artifacts (default true). */
  readonly artifacts?: boolean;
}

interface OpenRun {
  readonly info: TrackedRunInfoWithDir;
  /** Where its marker and outbox go: its own folder, or the sweep folder (with `trial`). */
  readonly dir: string | undefined;
  readonly trial: string | undefined;
  /** The sweep folder, when known (for the runKey tag). */
  readonly sweepDir: string | undefined;
  runId?: string;
  artifactUri?: string;
  failed: number;
}

type Status = 'FINISHED' | 'FAILED' | 'KILLED';

export class MlflowTracker implements TrackerComponent {
  readonly name = 'mlflow';
  readonly #o: MlflowTrackerOptions;
  readonly #server: string;
  #experimentId: string | undefined;
  #sweep: OpenRun | undefined;
  #trial: OpenRun | undefined;
  #down = false;
  #failedTotal = 0;

  constructor(opts: MlflowTrackerOptions) {
    this.#o = opts;
    this.#server = opts.client.trackingUri;
  }

  /** Calls that did not reach the server since this tracker was made. */
  get failedCalls(): number {
    return this.#failedTotal;
  }

  async startSweep(info: TrackedRunInfoWithDir): Promise<void> {
    const sweepDir = info.dir ?? (await this.#findSweepDir(info.experiment));
    const run: OpenRun = { info, dir: sweepDir, trial: undefined, sweepDir, failed: 0 };
    this.#sweep = run;
    await this.#openSweep(run);
  }

  async startTrial(info: TrackedRunInfoWithDir): Promise<void> {
    if (this.#down && (await this.#o.client.health())) this.#down = false;
    const sweepDir =
      this.#sweep?.sweepDir ??
      (info.dir && existsSync(join(dirname(info.dir), 'sweep.json'))
        ? dirname(info.dir)
        : await this.#findSweepDir(info.experiment));
    const run: OpenRun = info.dir
      ? { info, dir: info.dir, trial: undefined, sweepDir, failed: 0 }
      : { info, dir: sweepDir, trial: sweepDir ? info.name : undefined, sweepDir, failed: 0 };
    this.#trial = run;
    // a parent made by another tracker instance (or an earlier process) is found by its marker
    if (!this.#sweep && sweepDir) {
      const m = await readMarker(sweepDir, this.#server).catch(() => undefined);
      if (m) {
        this.#experimentId ??= m.experimentId;
        this.#sweep = {
          info,
          dir: sweepDir,
          trial: undefined,
          sweepDir,
          runId: m.runId,
          artifactUri: m.artifactUri,
          failed: 0,
        };
      }
    }
    // the parent could not be made earlier: try again once the server is back
    if (this.#sweep && !this.#sweep.runId && !this.#down) await this.#openSweep(this.#sweep);
    await this.#call(run, 'createRun', { name: info.name }, async () => {
      const experimentId = await this.#experiment(info);
      const prev = run.dir ? await readMarker(run.dir, this.#server, run.trial) : undefined;
      if (prev && !prev.complete) {
        // the same trial restarted after a crash: continue its run
        run.runId = prev.runId;
        run.artifactUri = prev.artifactUri;
        await this.#o.client.updateRun(prev.runId, { status: 'RUNNING' });
      } else {
        const key = await this.#runKey(sweepDir, info.name);
        const commit = this.#o.gitDir ? gitCommit(this.#o.gitDir) : undefined;
        const created = await this.#o.client.createRun({
          experimentId,
          runName: info.name,
          tags: {
            [TAGS.version]: embrecVersion(),
            [TAGS.configHash]: configHash(info.params),
            ...(commit ? { [TAGS.gitCommit]: commit } : {}),
            ...info.tags,
            [TAGS.kind]: 'trial',
            [TAGS.trial]: info.name,
            ...(this.#sweep ? { [TAGS.sweep]: this.#sweep.info.name } : {}),
            ...(key ? { [TAGS.runKey]: key } : {}),
          },
          ...(this.#sweep?.runId ? { parentRunId: this.#sweep.runId } : {}),
        });
        run.runId = created.run_id;
        run.artifactUri = created.artifact_uri;
      }
      await this.#mark(run, false);
    });
    if (run.runId)
      await this.#call(run, 'logParams', {}, () =>
        this.#o.client.logBatch(run.runId!, { params: info.params }),
      );
  }

  async logMetrics(values: Readonly<Record<string, number>>, step?: number): Promise<void> {
    const run = this.#trial ?? this.#sweep;
    if (!run) return;
    const timestamp = Date.now();
    const metrics = Object.entries(values).map(([key, value]) => ({
      key,
      value,
      timestamp,
      step: step ?? 0,
    }));
    await this.#call(run, 'logMetrics', { values, step: step ?? 0, timestamp }, () =>
      this.#o.client.logBatch(run.runId!, { metrics }),
    );
  }

  async logArtifact(localPath: string, artifactPath: string): Promise<void> {
    const run = this.#trial ?? this.#sweep;
    if (!run || this.#o.artifacts === false) return;
    await this.#call(run, 'logArtifact', { localPath, artifactPath }, async () => {
      await this.#o.client.uploadArtifacts(
        { artifact_uri: run.artifactUri! },
        localPath,
        artifactPath,
        isOwnFile,
      );
    });
  }

  /** Ends a run on the server (or in the outbox) and closes its folder; a KILLED run stays open. */
  async #end(run: OpenRun, status: Status): Promise<void> {
    await this.#call(run, 'endRun', { status }, () =>
      this.#o.client.updateRun(run.runId!, { status, endTime: Date.now() }),
    );
    await this.#finish(run, status !== 'KILLED');
  }

  async endTrial(status: Status): Promise<void> {
    const run = this.#trial;
    if (!run) return;
    this.#trial = undefined;
    // an interrupted trial is run again later: its run stays open to be continued
    await this.#end(run, status);
  }

  async endSweep(status: Status): Promise<void> {
    const run = this.#sweep;
    if (!run) return;
    this.#sweep = undefined;
    await this.#end(run, status);
    if (this.#failedTotal > 0 && this.#failedTotal !== run.failed)
      this.#o.log.warn(
        `mlflow: ${this.#failedTotal} calls failed in this sweep, run \`embrec track sync\` later`,
      );
  }

  // -------------------------------------------------------------------------------------------

  async #openSweep(run: OpenRun): Promise<void> {
    const info = run.info;
    await this.#call(run, 'createRun', { name: info.name }, async () => {
      const experimentId = await this.#experiment(info);
      const prev = run.dir ? await readMarker(run.dir, this.#server) : undefined;
      if (prev) {
        // a sweep started again (after Ctrl-C or a crash): its trials join the same parent
        run.runId = prev.runId;
        run.artifactUri = prev.artifactUri;
        await this.#o.client.updateRun(prev.runId, { status: 'RUNNING' });
      } else {
        const key = await this.#runKey(run.sweepDir);
        const commit = this.#o.gitDir ? gitCommit(this.#o.gitDir) : undefined;
        const created = await this.#o.client.createRun({
          experimentId,
          runName: info.name,
          tags: {
            [TAGS.version]: embrecVersion(),
            ...(commit ? { [TAGS.gitCommit]: commit } : {}),
            ...info.tags,
            [TAGS.kind]: 'sweep',
            [TAGS.sweep]: info.name,
            ...(key ? { [TAGS.runKey]: key } : {}),
          },
        });
        run.runId = created.run_id;
        run.artifactUri = created.artifact_uri;
      }
      await this.#mark(run, false);
    });
    if (run.runId && Object.keys(info.params).length > 0)
      await this.#call(run, 'logParams', {}, () =>
        this.#o.client.logBatch(run.runId!, { params: info.params }),
      );
  }

  async #experiment(info: TrackedRunInfo): Promise<string> {
    this.#experimentId ??= await this.#o.client.ensureExperiment(this.#o.experimentName ?? info.experiment);
    return this.#experimentId;
  }

  /** The same runKey tag sync would give, when the sweep folder's sweep.json is readable. */
  async #runKey(sweepDir: string | undefined, trial?: string): Promise<string | undefined> {
    if (!sweepDir || !existsSync(join(sweepDir, 'sweep.json'))) return undefined;
    try {
      return runKey(await readSweepFile(sweepDir), trial);
    } catch {
      return undefined;
    }
  }

  /** The nearest folder at or above `searchFrom` with a sweep.json of this experiment. */
  async #findSweepDir(experiment: string): Promise<string | undefined> {
    let dir = this.#o.searchFrom;
    for (let i = 0; dir && i < 5; i++, dir = dirname(dir)) {
      if (!existsSync(join(dir, 'sweep.json'))) continue;
      try {
        const s = await readSweepFile(dir);
        if (s.name === experiment || s.experiment === experiment) return dir;
      } catch {
        // not a sweep folder we can read: keep looking up
      }
      if (dirname(dir) === dir) break;
    }
    return undefined;
  }

  async #mark(run: OpenRun, complete: boolean): Promise<void> {
    if (!run.dir || !run.runId || !run.artifactUri || !this.#experimentId) return;
    try {
      await writeMarker(
        run.dir,
        this.#server,
        { experimentId: this.#experimentId, runId: run.runId, artifactUri: run.artifactUri, complete },
        run.trial,
      );
    } catch (err) {
      this.#o.log.warn(`mlflow: cannot write ${join(run.dir, 'mlflow.json')}: ${(err as Error).message}`);
    }
  }

  async #finish(run: OpenRun, complete: boolean): Promise<void> {
    if (run.failed === 0) {
      await this.#mark(run, complete);
      return;
    }
    const where = join(run.dir ?? this.#o.fallbackDir, OUTBOX_FILE);
    this.#o.log.warn(
      `mlflow: ${run.failed} call${run.failed === 1 ? '' : 's'} failed, run \`embrec track sync\` later (queued in ${where})`,
    );
  }

  /**
   * Runs one server call; never throws. A failure (after the client's retries) is queued in the
   * outbox; a network failure also marks the server as away so later calls do not wait on it.
   */
  async #call(run: OpenRun, op: string, detail: unknown, fn: () => Promise<void>): Promise<void> {
    let error: string | undefined;
    if (this.#down) error = 'server unreachable (earlier call failed)';
    else if (op !== 'createRun' && !run.runId) error = 'no MLflow run (its creation failed)';
    else {
      try {
        await fn();
        return;
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
        if (err instanceof MlflowError && err.retryable) this.#down = true;
        else this.#o.log.warn(error);
      }
    }
    run.failed++;
    this.#failedTotal++;
    const dir = run.dir ?? this.#o.fallbackDir;
    try {
      await mkdir(dir, { recursive: true });
      await appendOutbox(dir, {
        time: Date.now(),
        server: this.#server,
        op,
        run: run.runId ?? `(${run.info.name})`,
        error,
        ...(run.trial !== undefined ? { trial: run.trial } : {}),
        detail,
      });
    } catch (err) {
      this.#o.log.warn(`mlflow: cannot write the outbox in ${dir}: ${(err as Error).message}`);
    }
  }
}
