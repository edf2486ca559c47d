/**
 * Errors that embrec shows to users. Every error has a stable `code` (snapshot-tested) and a message
 * that names where the problem is, what was expected and what was found. The CLI prints `format()`
 * and never a bare stack trace (set EMBREC_DEBUG=1 for stacks).
 */
export class EmbrecError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbrecError';
    this.code = code;
  }
  format(): string {
    return `✖ ${this.message}`;
  }
}

/** One problem in an experiment file. */
export interface ConfigIssue {
  /** Dotted path inside the file ("model.dim", "sweep.params['loss.temperature']"), '' for the root. */
  path: string;
  message: string;
  /** 1-based line in the source file, when known. */
  line?: number;
}

/** All the problems found in one experiment file, reported at once. Exit code 2. */
export class ConfigError extends EmbrecError {
  readonly file: string;
  readonly issues: readonly ConfigIssue[];
  constructor(file: string, issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    super('E_CONFIG', `${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'}`, options);
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
  }
  override format(): string {
    const lines = [this.file];
    for (const i of this.issues) {
      lines.push(`✖ ${i.message}`);
      lines.push(
        `  → at ${i.path === '' ? '(root)' : i.path}${i.line !== undefined ? ` (line ${i.line})` : ''}`,
      );
    }
    return lines.join('\n');
  }
}

/** Where inside the pipeline a plugin failed. */
export interface PluginFailureSite {
  plugin: string; // package name
  component: string; // namespace/type
  kind: string;
  stage: string;
  hook?: string;
}

/** A failure inside plugin code, attributed like rollup's `[!] (plugin p) Error:`. Exit code 1. */
export class PluginError extends EmbrecError {
  readonly site: PluginFailureSite;
  constructor(site: PluginFailureSite, cause: unknown) {
    const inner = cause instanceof Error ? cause.message : String(cause);
    super(
      'E_PLUGIN',
      `(plugin ${site.plugin}) ${site.kind} "${site.component}" failed in stage "${site.stage}"${site.hook ? ` (${site.hook})` : ''}: ${inner}`,
      { cause },
    );
    this.name = 'PluginError';
    this.site = site;
  }
}

/** Bad input data (a malformed file, a wrong buffer length): names the file, line and field. */
export class DataError extends EmbrecError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_DATA', message, options);
    this.name = 'DataError';
  }
}

/** Wrong arguments to an API (bad dimensions, k out of range). */
export class UsageError extends EmbrecError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_USAGE', message, options);
    this.name = 'UsageError';
  }
}
