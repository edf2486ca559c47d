import { UsageError } from '@embrec/core';
import { Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';

/** The BullMQ queue every embrec sweep uses on a Redis server (one sweep at a time per database). */
export const QUEUE_NAME = 'embrec-trials';
/** Seconds to reach Redis before `--queue` / `worker` give up (EMBREC_REDIS_TIMEOUT_MS overrides). */
const CONNECT_MS = Number(process.env.EMBREC_REDIS_TIMEOUT_MS) || 5000;

/** Parses redis://HOST:PORT[/DB] into ioredis options (with BullMQ's required retry setting). */
export function connectionOf(url: string): RedisOptions & { host: string; port: number } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--queue expects a Redis URL like redis://127.0.0.1:6379, found "${url}"`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new UsageError(`--queue expects a redis:// URL, found "${url}" (protocol ${u.protocol})`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw new UsageError(`--queue: the database in "${url}" must be a whole number (redis://HOST:PORT/1)`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null, // BullMQ's workers wait through a Redis restart
  };
}

/**
 * Checks that Redis answers within a bounded time (a wrong URL fails fast and clearly, instead of
 * BullMQ's endless reconnecting), and that it keeps its data (appendonly).
 */
export async function probe(url: string, warn: (line: string) => void): Promise<void> {
  const opts = connectionOf(url);
  const client = new Redis({
    ...opts,
    lazyConnect: true,
    connectTimeout: CONNECT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  let cause: Error | undefined;
  client.on('error', (e: Error) => {
    cause ??= e;
  });
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_r, reject) =>
        setTimeout(() => reject(new Error(`no answer in ${CONNECT_MS} ms`)), CONNECT_MS),
      ),
    ]);
    const aof = (await client.config('GET', 'appendonly').catch(() => [])) as string[];
    if (aof[1] === 'no')
      warn(
        `Redis at ${url} runs without appendonly: a Redis restart can lose queue state (finished trials stay in their folders). Start it with --appendonly yes.`,
      );
  } catch (e) {
    throw new UsageError(
      `cannot reach Redis at ${url}: ${(cause ?? (e as Error)).message.replace(/\.$/, '')}. Is redis-server running there (./scripts/redis-setup.sh installs it; docs/scale-out.md)?`,
    );
  } finally {
    client.disconnect();
  }
}

export function openQueue(url: string): Queue {
  const q = new Queue(QUEUE_NAME, { connection: connectionOf(url) });
  q.on('error', () => {}); // reconnects are retried; failures surface on the calls
  return q;
}
