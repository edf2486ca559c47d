/** A minimal leveled logger. The runner gives every trial one that also writes the trial's log file. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  child(prefix: string): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(opts: {
  level?: LogLevel;
  sink?: (level: LogLevel, line: string) => void;
  prefix?: string;
}): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const sink =
    opts.sink ??
    ((level, line) =>
      (level === 'error' || level === 'warn' ? process.stderr : process.stderr).write(`${line}\n`));
  const make = (prefix: string): Logger => {
    const emit = (level: LogLevel, msg: string): void => {
      if (ORDER[level] < min) return;
      sink(level, prefix ? `[${prefix}] ${msg}` : msg);
    };
    return {
      debug: (m) => emit('debug', m),
      info: (m) => emit('info', m),
      warn: (m) => emit('warn', m),
      error: (m) => emit('error', m),
      child: (p) => make(prefix ? `${prefix}:${p}` : p),
    };
  };
  return make(opts.prefix ?? '');
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = createLogger({ sink: () => {} });
