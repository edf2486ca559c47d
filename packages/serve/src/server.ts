import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Registry } from '@embrec/core';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry as MetricsRegistry } from 'prom-client';
import { loadBundle } from './bundle.ts';
import type { SwapResult, WorkerLink } from './cluster.ts';
import { BadRequest, Engine, NotFound, type RecommendOptions } from './engine.ts';

export interface ServeOptions {
  /** The bundle folder to serve. */
  readonly bundle: string;
  /** Bearer token of the admin routes; without one they are off (404). */
  readonly adminToken?: string | undefined;
  /** Largest request body in bytes (default 64 KiB). */
  readonly bodyLimit?: number;
  /** Largest k a request may ask for (default 200). */
  readonly maxK?: number;
  /** Largest number of requests in one batch (default 100). */
  readonly maxBatch?: number;
  /** fastify's logger (off by default). */
  readonly logger?: boolean;
  /**
   * Plugins that build the pipeline's ranker and re-rankers (the CLI passes the built-ins); without
   * one, a bundle that serves more than retrieval and MMR is refused.
   */
  readonly registry?: Registry | undefined;
  /**
   * Set in a worker of `embrec serve --workers N` (cluster.ts): a reload is done by every worker,
   * /metrics sums every worker's, and responses carry the worker's id (`x-embrec-worker`).
   */
  readonly worker?: ((registry: MetricsRegistry) => WorkerLink) | undefined;
}

const PAGE_DIR = fileURLToPath(new URL('../page/', import.meta.url));
const PAGE_FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

const idString = { type: 'string', minLength: 1, maxLength: 512 } as const;
const errorSchema = {
  type: 'object',
  properties: { statusCode: { type: 'integer' }, error: { type: 'string' }, message: { type: 'string' } },
} as const;

/**
 * The serving app: a fastify instance over one bundle (swapped whole by hot reload). Every route
 * has a JSON Schema; bad input is answered 4xx with a JSON error; the OpenAPI document is at
 * /openapi.json, Prometheus metrics at /metrics, the page at /.
 */
export async function createServer(opts: ServeOptions): Promise<FastifyInstance & { engine(): Engine }> {
  const maxK = opts.maxK ?? 200;
  const maxBatch = opts.maxBatch ?? 100;
  let current = await Engine.create(await loadBundle(opts.bundle), opts.registry);
  let reloading: Promise<unknown> | undefined;

  const registry = new MetricsRegistry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'embrec_http_requests_total',
    help: 'HTTP requests by route, method and status code',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'embrec_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const stageLatency = new Histogram({
    name: 'embrec_stage_duration_seconds',
    help: 'Pipeline stage latency (retrieval, rerank:<type>, popularity) by route',
    labelNames: ['route', 'stage'],
    buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1],
    registers: [registry],
  });
  const bundleInfo = new Gauge({
    name: 'embrec_bundle_info',
    help: 'The bundle being served (value 1), by version and source run',
    labelNames: ['version', 'run'],
    registers: [registry],
    aggregator: 'max',
  });
  new Gauge({
    name: 'embrec_serve_workers',
    help: 'Server processes whose metrics these are (--workers: summed over the workers)',
    registers: [registry],
  }).set(1);
  const reloads = new Counter({
    name: 'embrec_reloads_total',
    help: 'Hot reloads by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const setInfo = () => {
    bundleInfo.reset();
    bundleInfo.set({ version: current.version, run: current.bundle.manifest.source.run }, 1);
  };
  setInfo();
  /** Loads the bundle at `dir` beside the current one, verifies it, and swaps it in (one assignment). */
  const swap = async (dir: string): Promise<SwapResult> => {
    try {
      const next = await Engine.create(await loadBundle(dir), opts.registry);
      const previous = current.version;
      const old = current;
      current = next; // one assignment: a request reads `current` once, at its start
      // requests that started on the old engine finish within its grace period, then its models go
      setTimeout(() => old.dispose(), 30_000).unref();
      setInfo();
      reloads.inc({ outcome: 'ok' });
      return { ok: true, previous, version: next.version, bundle: next.bundle.dir };
    } catch (err) {
      reloads.inc({ outcome: 'refused' });
      return { ok: false, message: (err as Error).message };
    }
  };
  const link = opts.worker?.(registry);
  link?.onSwap(swap);

  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimit ?? 64 * 1024,
    ajv: {
      customOptions: {
        removeAdditional: false,
        coerceTypes: true,
        allErrors: false,
        allowUnionTypes: true,
      },
    },
    routerOptions: { maxParamLength: 600 },
    return503OnClosing: true,
  }) as unknown as FastifyInstance & { engine(): Engine };
  app.decorate('engine', () => current);
  if (link) {
    const id = String(link.id);
    app.addHook('onRequest', (_req, reply, done) => {
      reply.header('x-embrec-worker', id);
      done();
    });
  }
  app.addHook('onClose', async () => current.dispose());

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'embrec serve',
        version: '1',
        description: 'Recommendations from an exported embrec bundle',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  // per-request metrics: a synchronous hook, fastify's own clock (reply.elapsedTime) and the label
  // children looked up once per route/status (prom-client hashes the label object on every call)
  const requestChild = new Map<string, Counter.Internal>();
  const latencyChild = new Map<string, Histogram.Internal<'route'>>();
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const key = `${route} ${req.method} ${reply.statusCode}`;
    let c = requestChild.get(key);
    if (c === undefined) {
      c = requests.labels({ route, method: req.method, status: String(reply.statusCode) });
      requestChild.set(key, c);
    }
    c.inc();
    let h = latencyChild.get(route);
    if (h === undefined) {
      h = latency.labels({ route });
      latencyChild.set(route, h);
    }
    h.observe(reply.elapsedTime / 1000);
    done();
  });

  app.setErrorHandler(
    (err: Error & { statusCode?: number; validation?: unknown; code?: string }, _req, reply) => {
      let status = err.statusCode ?? 500;
      if (err instanceof NotFound) status = 404;
      else if (err instanceof BadRequest || err.validation) status = 400;
      else if (err.name === 'UsageError') status = 400;
      if (status >= 500) {
        app.log.error(err);
        return reply
          .code(status)
          .send({ statusCode: status, error: 'Internal Server Error', message: 'internal error' });
      }
      return reply.code(status).send({
        statusCode: status,
        error: STATUS_CODES[status] ?? 'Bad Request',
        message: err.message,
      });
    },
  );
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      statusCode: 404,
      error: 'Not Found',
      message: `no route ${req.method} ${req.url.slice(0, 200)}`,
    }),
  );

  const stageChild = new Map<string, Histogram.Internal<'route' | 'stage'>>();
  const observe = (route: string, stages: Readonly<Record<string, number>>) => {
    for (const stage in stages) {
      const key = `${route} ${stage}`;
      let h = stageChild.get(key);
      if (h === undefined) {
        h = stageLatency.labels({ route, stage });
        stageChild.set(key, h);
      }
      h.observe(stages[stage]! / 1000);
    }
  };

  // --- schemas -------------------------------------------------------------------------------
  const kSchema = { type: 'integer', minimum: 1, maximum: maxK, default: 20 } as const;
  const common = {
    k: kSchema,
    excludeSeen: { type: 'boolean', default: true },
    exclude: { type: 'array', items: idString, maxItems: 1000 },
    filters: {
      type: 'object',
      maxProperties: 16,
      additionalProperties: {
        anyOf: [
          { type: ['string', 'number'] },
          { type: 'array', items: { type: ['string', 'number'] }, maxItems: 100 },
        ],
      },
    },
    rerank: {
      anyOf: [{ type: 'boolean' }, { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 8 }],
    },
    rank: { type: 'boolean' },
  } as const;
  const scored = {
    type: 'object',
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      score: { type: 'number' },
      stage: { type: 'string' },
    },
  } as const;
  const recResponse = {
    type: 'object',
    properties: {
      version: { type: 'string' },
      source: { type: 'string', enum: ['model', 'fold-in', 'popularity'] },
      note: { type: 'string' },
      user: { type: 'string' },
      unknown: { type: 'array', items: { type: 'string' } },
      items: { type: 'array', items: scored },
      stages: { type: 'object', additionalProperties: { type: 'number' } },
    },
  } as const;
  const userBody = {
    type: 'object',
    required: ['user'],
    additionalProperties: false,
    properties: { user: idString, ...common },
  } as const;
  const itemsBody = {
    type: 'object',
    required: ['items'],
    additionalProperties: false,
    properties: { items: { type: 'array', items: idString, maxItems: 1000 }, ...common },
  } as const;
  const similarBody = {
    type: 'object',
    required: ['item'],
    additionalProperties: false,
    properties: { item: idString, k: kSchema },
  } as const;

  type Common = {
    k: number;
    excludeSeen?: boolean;
    exclude?: string[];
    filters?: RecommendOptions['filters'];
    rerank?: boolean | string[];
    rank?: boolean;
  };
  const options = (b: Common): RecommendOptions => {
    const o: { -readonly [K in keyof RecommendOptions]: RecommendOptions[K] } = { k: b.k ?? 20 };
    if (b.excludeSeen !== undefined) o.excludeSeen = b.excludeSeen;
    if (b.exclude !== undefined) o.exclude = b.exclude;
    if (b.filters !== undefined) o.filters = b.filters;
    if (b.rerank !== undefined) o.rerank = b.rerank;
    if (b.rank !== undefined) o.rank = b.rank;
    return o;
  };
  const popularNote = 'the user has no known items: most popular training items (popularity fallback)';
  const forUser = async (e: Engine, b: Common & { user: string }) => {
    const r = await e.forUser(b.user, options(b));
    return { version: e.version, user: b.user, ...r };
  };
  const forItems = async (e: Engine, b: Common & { items: string[] }) => {
    const r = await e.forItems(b.items, options(b));
    return r.source === 'popularity'
      ? { version: e.version, ...r, note: popularNote }
      : { version: e.version, ...r };
  };
  const similar = (e: Engine, b: { item: string; k: number }) => ({
    version: e.version,
    item: b.item,
    items: e.similar(b.item, b.k ?? 20),
  });

  // --- routes --------------------------------------------------------------------------------
  app.get(
    '/health',
    {
      schema: {
        description: 'Liveness',
        response: { 200: { type: 'object', properties: { status: { type: 'string' } } } },
      },
    },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/ready',
    {
      schema: {
        description: 'Readiness: a bundle is loaded',
        response: {
          200: {
            type: 'object',
            properties: {
              ready: { type: 'boolean' },
              version: { type: 'string' },
              items: { type: 'integer' },
              users: { type: 'integer' },
            },
          },
        },
      },
    },
    async () => ({
      ready: true,
      version: current.version,
      items: current.bundle.manifest.items,
      users: current.bundle.manifest.users,
    }),
  );
  app.get('/metrics', { schema: { description: 'Prometheus metrics', hide: false } }, async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return link ? link.metrics() : registry.metrics();
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get(
    '/v1/info',
    { schema: { description: 'The served bundle: manifest, pipeline and item attributes' } },
    async () => {
      const e = current;
      const { files: _f, ...manifest } = e.bundle.manifest;
      return { version: e.version, manifest, pipeline: e.bundle.pipeline, attributes: e.attributes() };
    },
  );
  app.post(
    '/v1/recommend',
    {
      schema: {
        description: 'Top k for a known user',
        body: userBody,
        response: { 200: recResponse, '4xx': errorSchema },
      },
    },
    async (req) => {
      const e = current;
      const r = await forUser(e, req.body as Common & { user: string });
      observe('/v1/recommend', r.stages);
      return r;
    },
  );
  app.post(
    '/v1/recommend/new-user',
    {
      schema: {
        description:
          "Top k for a new user given the items they liked (the model's fold-in); popularity fallback when none is known",
        body: itemsBody,
        response: { 200: recResponse, '4xx': errorSchema },
      },
    },
    async (req) => {
      const e = current;
      const r = await forItems(e, req.body as Common & { items: string[] });
      observe('/v1/recommend/new-user', r.stages);
      return r;
    },
  );
  app.post(
    '/v1/similar',
    {
      schema: {
        description: 'Nearest items of an item',
        body: similarBody,
        response: {
          200: {
            type: 'object',
            properties: {
              version: { type: 'string' },
              item: { type: 'string' },
              items: { type: 'array', items: scored },
            },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (req) => {
      const e = current;
      const t0 = performance.now();
      const r = similar(e, req.body as { item: string; k: number });
      observe('/v1/similar', { retrieval: performance.now() - t0 });
      return r;
    },
  );
  app.get(
    '/v1/items/:id',
    {
      schema: {
        description: 'Item lookup',
        params: { type: 'object', properties: { id: idString }, required: ['id'] },
      },
    },
    async (req) => {
      const e = current;
      const { id } = req.params as { id: string };
      return { version: e.version, ...e.item(e.itemRow(id)) };
    },
  );
  /** `?q=…&limit=…` of the item and user searches. */
  const searchQuery = {
    type: 'object',
    additionalProperties: false,
    properties: {
      q: { type: 'string', maxLength: 200, default: '' },
      limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    },
  } as const;
  app.get(
    '/v1/items',
    {
      schema: {
        description: 'Item search by id or name',
        querystring: searchQuery,
      },
    },
    async (req) => {
      const { q, limit } = req.query as { q: string; limit: number };
      return { items: current.searchItems(q, limit) };
    },
  );
  app.get(
    '/v1/users',
    {
      schema: {
        description: 'User search by id',
        querystring: searchQuery,
      },
    },
    async (req) => {
      const { q, limit } = req.query as { q: string; limit: number };
      return { users: current.searchUsers(q, limit) };
    },
  );
  app.get(
    '/v1/users/:id',
    {
      schema: {
        description: "A known user's training history",
        params: { type: 'object', properties: { id: idString }, required: ['id'] },
      },
    },
    async (req) => {
      const e = current;
      const { id } = req.params as { id: string };
      const h = e.history(e.userRow(id));
      return { version: e.version, id, history: Array.from(h, (i) => e.item(i)) };
    },
  );
  app.post(
    '/v1/batch',
    {
      schema: {
        description: 'Several requests in one: each answered or given its own 4xx error',
        body: {
          type: 'object',
          required: ['requests'],
          additionalProperties: false,
          properties: {
            requests: {
              type: 'array',
              maxItems: maxBatch,
              items: {
                oneOf: [
                  {
                    ...noDefaults(userBody),
                    required: ['type', 'user'],
                    properties: { type: { const: 'recommend' }, ...noDefaults(userBody).properties },
                  },
                  {
                    ...noDefaults(itemsBody),
                    required: ['type', 'items'],
                    properties: { type: { const: 'new-user' }, ...noDefaults(itemsBody).properties },
                  },
                  {
                    ...noDefaults(similarBody),
                    required: ['type', 'item'],
                    properties: { type: { const: 'similar' }, ...noDefaults(similarBody).properties },
                  },
                ],
              },
            },
          },
        },
      },
    },
    async (req) => {
      const e = current; // one version for the whole batch
      const reqs = (req.body as { requests: { type: string }[] }).requests;
      const results: unknown[] = [];
      for (const r of reqs) results.push(await one(r));
      return { version: e.version, results };
      async function one(r: { type: string }) {
        const { type, ...body } = r;
        const b = body as Record<string, unknown>;
        try {
          if (type === 'recommend') return await forUser(e, b as Common & { user: string });
          if (type === 'new-user') return await forItems(e, b as Common & { items: string[] });
          return similar(e, b as { item: string; k: number });
        } catch (err) {
          if (err instanceof NotFound) return { statusCode: 404, error: 'Not Found', message: err.message };
          if (err instanceof BadRequest)
            return { statusCode: 400, error: 'Bad Request', message: err.message };
          throw err;
        }
      }
    },
  );

  // --- admin ---------------------------------------------------------------------------------
  const token = opts.adminToken;
  if (token !== undefined && token !== '') {
    const want = Buffer.from(token);
    const authorized = (req: FastifyRequest) => {
      const got = Buffer.from(String(req.headers.authorization ?? ''));
      const full = Buffer.concat([Buffer.from('Bearer '), want]);
      return got.length === full.length && timingSafeEqual(got, full);
    };
    app.post(
      '/admin/reload',
      {
        schema: {
          description: 'Load a bundle (by default the same folder again) and swap it in atomically',
          security: [{ bearer: [] }],
          body: {
            type: ['object', 'null'],
            additionalProperties: false,
            properties: { bundle: { type: 'string', minLength: 1, maxLength: 4096 } },
          },
        },
      },
      async (req: FastifyRequest, reply: FastifyReply) => {
        if (!authorized(req))
          return reply
            .code(401)
            .send({ statusCode: 401, error: 'Unauthorized', message: 'a valid bearer token is required' });
        if (reloading)
          return reply
            .code(409)
            .send({ statusCode: 409, error: 'Conflict', message: 'a reload is already running' });
        const dir = (req.body as { bundle?: string } | null)?.bundle ?? current.bundle.dir;
        const job = link ? link.reloadAll(dir) : swap(dir).then((r) => [r]);
        reloading = job;
        let results: readonly SwapResult[] | null;
        try {
          results = await job;
        } finally {
          reloading = undefined;
        }
        if (results === null)
          return reply
            .code(409)
            .send({ statusCode: 409, error: 'Conflict', message: 'a reload is already running' });
        const ok = results.filter((r) => r.ok);
        const refused = results.filter((r) => !r.ok);
        if (ok.length > 0 && refused.length === 0) {
          const r = ok[0]!;
          return {
            reloaded: true,
            previous: r.previous,
            version: r.version,
            bundle: r.bundle,
            ...(link ? { workers: ok.length } : {}),
          };
        }
        // every worker refused the same bundle: it is bad input; some refused and some swapped: a fault
        const message = refused.map((r) => r.message).find((m) => m) ?? 'no worker answered';
        return ok.length === 0
          ? reply.code(422).send({ statusCode: 422, error: 'Unprocessable Entity', message })
          : reply.code(500).send({
              statusCode: 500,
              error: 'Internal Server Error',
              message: `${ok.length} of ${results.length} workers swapped in ${dir}, the others refused it: ${message}`,
            });
      },
    );
  }

  // --- page ----------------------------------------------------------------------------------
  const page = Object.fromEntries(
    Object.keys(PAGE_FILES).map((f) => [f, readFileSync(`${PAGE_DIR}${f}`, 'utf8')]),
  );
  app.get('/', { schema: { hide: true } }, async (_req, reply) =>
    reply.type(PAGE_FILES['index.html']!).send(page['index.html']),
  );
  app.get(
    '/static/:file',
    {
      schema: {
        hide: true,
        params: { type: 'object', properties: { file: { type: 'string', maxLength: 64 } } },
      },
    },
    async (req, reply) => {
      const { file } = req.params as { file: string };
      const type = Object.hasOwn(PAGE_FILES, file) ? PAGE_FILES[file] : undefined;
      if (type === undefined || file === 'index.html')
        return reply
          .code(404)
          .send({ statusCode: 404, error: 'Not Found', message: `no page file "${file}"` });
      return reply.type(type).send(page[file]);
    },
  );

  await app.ready();
  return app;
}

/** A schema without `default`s (ajv ignores them inside oneOf, and strict mode refuses them there). */
function noDefaults<T>(schema: T): T {
  return JSON.parse(JSON.stringify(schema), (key, v) => (key === 'default' ? undefined : v)) as T;
}
