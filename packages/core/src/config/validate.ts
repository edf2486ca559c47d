import { z } from 'zod';
import type { ConfigIssue } from '../errors.ts';
import { refKindOf } from '../plugin/define.ts';
import type { ComponentKind } from '../plugin/kinds.ts';
import { Registry } from '../plugin/registry.ts';
import { didYouMean } from '../util/suggest.ts';
import { formatPath, isPlainObject } from './merge.ts';
import { nameProblem } from './names.ts';
import {
  BACKENDS,
  type Block,
  PLAIN_KEYS,
  type RetrieveSettings,
  SECTION_BY_KEY,
  SECTIONS,
  type TrialConfig,
} from './sections.ts';
import { describe } from './source.ts';
import { zodIssuesToConfigIssues } from './zod-issues.ts';

const plainSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  seed: z.number().int().nonnegative().default(42),
  backend: z.enum(BACKENDS).default('auto'),
  threads: z.number().int().min(1).max(256).default(1),
  plugins: z.array(z.string().min(1)).default([]),
  output: z.string().min(1).default('runs'),
  retrieve: z.strictObject({ k: z.number().int().min(1).default(1000) }).optional(),
});

/** Unwraps optional/default/nullable/array wrappers to find a componentRef schema. */
function refInfo(schema: z.ZodType): { kind: ComponentKind; array: boolean } | undefined {
  let s: z.ZodType | undefined = schema;
  let array = false;
  for (let i = 0; i < 6 && s; i++) {
    const k = refKindOf(s);
    if (k) return { kind: k, array };
    const def: { type: string; innerType?: z.ZodType; element?: z.ZodType } = (
      s as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; element?: z.ZodType } } }
    )._zod.def;
    if (def.type === 'array') {
      array = true;
      s = def.element;
    } else if (def.innerType) s = def.innerType;
    else return undefined;
  }
  return undefined;
}

/** Keys a component's schema accepts (for did-you-mean). */
export function schemaKeys(schema: z.ZodType): string[] {
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

/**
 * Validates one component block (`{ type, ...params }` or the string shorthand `type`) of `kind`
 * and returns it with the qualified type and defaults filled in.
 */
export function validateBlock(
  registry: Registry,
  kind: ComponentKind,
  raw: unknown,
  path: (string | number)[],
  issues: ConfigIssue[],
): Block | undefined {
  const block = typeof raw === 'string' ? { type: raw } : raw;
  if (!isPlainObject(block)) {
    issues.push({
      path: formatPath(path),
      message: `Expected a ${kind} block (a mapping with "type", or a type name), found ${describe(raw)}`,
    });
    return undefined;
  }
  const type = block.type;
  if (typeof type !== 'string' || type === '') {
    const avail = registry.list(kind).map((c) => Registry.display(c.qualifiedType));
    issues.push({
      path: formatPath([...path, 'type']),
      message: `Missing required field "type" for the ${kind}. Available: ${avail.join(', ') || '(none registered)'}`,
    });
    return undefined;
  }
  if (type.includes('./') || type.endsWith('.js') || type.endsWith('.ts')) {
    issues.push({
      path: formatPath([...path, 'type']),
      message: `A type is a registered name, never a module path: found "${type}". List the plugin package under "plugins:" and use its namespace/type`,
    });
    return undefined;
  }
  const found = registry.lookup(kind, type);
  if (!found.ok) {
    issues.push({ path: formatPath([...path, 'type']), message: found.message });
    return undefined;
  }
  const { def, qualifiedType } = found.component;
  const { type: _t, ...params } = block;
  const parsed = def.schema.safeParse(params);
  if (!parsed.success) {
    const accepted = schemaKeys(def.schema);
    issues.push(
      ...zodIssuesToConfigIssues(parsed.error, {
        prefix: path,
        input: params,
        owner: qualifiedType,
        acceptedKeys: (p) => (p.length === 0 ? accepted : []),
      }),
    );
    return undefined;
  }
  const out: Record<string, unknown> = { type: qualifiedType, ...(parsed.data as Record<string, unknown>) };
  // Nested component references (evaluate.metrics: [recall, ndcg]).
  const shape = (def.schema as unknown as { shape: Record<string, z.ZodType> }).shape;
  for (const [key, s] of Object.entries(shape)) {
    const info = refInfo(s);
    const v = out[key];
    if (!info || v === undefined) continue;
    if (info.array && Array.isArray(v)) {
      out[key] = v.map(
        (item, i) => validateBlock(registry, info.kind, item, [...path, key, i], issues) ?? item,
      );
    } else if (!info.array) {
      out[key] = validateBlock(registry, info.kind, v, [...path, key], issues) ?? v;
    }
  }
  return out as Block;
}

/** Validates a whole (merged, sweep-free) experiment object; all problems are pushed to `issues`. */
export function validateExperiment(
  registry: Registry,
  raw: Record<string, unknown>,
  issues: ConfigIssue[],
): TrialConfig | undefined {
  const before = issues.length;
  const plain: Record<string, unknown> = {};
  const known = new Set<string>([...PLAIN_KEYS, ...SECTIONS.map((s) => s.key)]);
  for (const [k, v] of Object.entries(raw)) {
    if (!known.has(k)) {
      const dym = didYouMean(k, [...known]);
      issues.push({
        path: formatPath([k]),
        message: `Unrecognized key "${k}".${dym ? ` Did you mean "${dym}"?` : ''} (an experiment accepts: ${[...known].filter((x) => x !== 'extends' && x !== '$schema').join(', ')})`,
      });
      continue;
    }
    if (!SECTION_BY_KEY.has(k) && k !== 'sweep' && k !== 'plots' && k !== 'extends' && k !== '$schema')
      plain[k] = v;
  }
  const p = plainSchema.safeParse(plain);
  if (!p.success) issues.push(...zodIssuesToConfigIssues(p.error, { prefix: [], input: plain }));
  // The name is a folder under the output folder: a safe slug, never a path.
  const nameIssue = typeof plain.name === 'string' && plain.name !== '' ? nameProblem(plain.name) : undefined;
  if (nameIssue !== undefined) issues.push({ path: 'name', message: nameIssue });

  const sections: Record<string, Block | Block[] | undefined> = {};
  for (const s of SECTIONS) {
    const v = raw[s.key] ?? s.default;
    if (v === undefined || v === null) {
      if (s.required) {
        const avail = registry.list(s.kind).map((c) => Registry.display(c.qualifiedType));
        issues.push({
          path: s.key,
          message: `Missing required section "${s.key}" (a ${s.kind}). Available types: ${avail.join(', ') || '(none registered)'}`,
        });
      }
      sections[s.key] = s.many ? [] : undefined;
      continue;
    }
    if (s.many) {
      if (!Array.isArray(v)) {
        issues.push({ path: s.key, message: `Expected a list of ${s.kind} blocks, found ${describe(v)}` });
        continue;
      }
      const blocks: Block[] = [];
      v.forEach((item, i) => {
        const b = validateBlock(registry, s.kind, item, [s.key, i], issues);
        if (b) blocks.push(b);
      });
      sections[s.key] = blocks;
    } else {
      sections[s.key] = validateBlock(registry, s.kind, v, [s.key], issues);
    }
  }
  // A component's declared dependencies (a model's loss) must have their section in the file.
  const kindToSection = new Map(SECTIONS.map((s) => [s.kind as string, s.key]));
  for (const s of SECTIONS) {
    const v = sections[s.key];
    for (const b of Array.isArray(v) ? v : v ? [v] : []) {
      const found = registry.lookup(s.kind, b.type);
      if (!found.ok) continue;
      for (const [name, spec] of Object.entries(found.component.def.deps ?? {})) {
        const depKind = typeof spec === 'string' ? spec : (spec as { kind: string }).kind;
        const optional = typeof spec !== 'string';
        const section = kindToSection.get(depKind);
        if (optional || !section || sections[section] !== undefined || raw[section] !== undefined) continue;
        const avail = registry.list(depKind).map((c) => Registry.display(c.qualifiedType));
        issues.push({
          path: section,
          message: `${s.kind} "${Registry.display(b.type)}" needs a ${depKind} (its "${name}"): add a "${section}:" section. Available: ${avail.join(', ') || '(none registered)'}`,
        });
      }
    }
  }
  checkLossSampler(registry, sections, raw, issues);
  checkAnalysis(registry, sections, issues);
  if (issues.length > before || !p.success) return undefined;
  const d = p.data;
  const cfg: Record<string, unknown> = {
    name: d.name,
    seed: d.seed,
    backend: d.backend,
    threads: d.threads,
    plugins: d.plugins,
    output: d.output,
  };
  if (d.description !== undefined) cfg.description = d.description;
  for (const s of SECTIONS) if (sections[s.key] !== undefined) cfg[s.key] = sections[s.key];
  if (d.retrieve) cfg.retrieve = d.retrieve satisfies RetrieveSettings;
  return cfg as unknown as TrialConfig;
}

/**
 * An `analysis:` reads the model's item embeddings: a model that declares it scores users directly
 * (`scorer: 'scores'`, EASE, ItemKNN) has none, so the file is rejected before anything trains.
 * Models without the declaration are checked when the trial reaches the analysis.
 */
function checkAnalysis(
  registry: Registry,
  sections: Record<string, Block | Block[] | undefined>,
  issues: ConfigIssue[],
): void {
  const model = sections.model as Block | undefined;
  if (!sections.analysis || !model) return;
  const m = registry.lookup('model', model.type);
  if (!m.ok || m.component.def.scorer !== 'scores') return;
  const withEmbeddings = registry
    .list('model')
    .filter((c) => c.def.scorer !== 'scores')
    .map((c) => Registry.display(c.qualifiedType));
  issues.push({
    path: 'analysis',
    message: `the analysis needs item embeddings, but model "${Registry.display(model.type)}" scores users directly and has none: remove "analysis:" or use a model with embeddings (${withEmbeddings.join(', ')})`,
  });
}

/**
 * A loss that needs explicit negatives (static `needs: 'negatives'`) with no sampler or an in-batch
 * one (static `mode: 'in-batch'`) would fail at fit: report it here, at the sampler (or the loss).
 * Only for models that take a loss; components without the metadata are checked at fit.
 */
function checkLossSampler(
  registry: Registry,
  sections: Record<string, Block | Block[] | undefined>,
  raw: Record<string, unknown>,
  issues: ConfigIssue[],
): void {
  const model = sections.model as Block | undefined;
  const loss = sections.loss as Block | undefined;
  if (!model || !loss) return;
  const m = registry.lookup('model', model.type);
  const takesLoss =
    m.ok &&
    Object.values(m.component.def.deps ?? {}).some(
      (spec) => (typeof spec === 'string' ? spec : (spec as { kind: string }).kind) === 'loss',
    );
  const l = registry.lookup('loss', loss.type);
  if (!takesLoss || !l.ok || l.component.def.needs !== 'negatives') return;
  const sampler = sections.sampler as Block | undefined;
  if (!sampler && raw.sampler !== undefined && raw.sampler !== null) return; // reported as invalid
  const explicit = registry
    .list('sampler')
    .filter((c) => c.def.mode !== undefined && c.def.mode !== 'in-batch')
    .map((c) => Registry.display(c.qualifiedType));
  const lossName = Registry.display(loss.type);
  if (!sampler) {
    issues.push({
      path: 'loss',
      message: `loss "${lossName}" needs explicit negatives, but the experiment has no sampler: add "sampler:" with one of ${explicit.join(', ')}`,
    });
    return;
  }
  const s = registry.lookup('sampler', sampler.type);
  if (s.ok && s.component.def.mode === 'in-batch') {
    issues.push({
      path: 'sampler',
      message: `loss "${lossName}" needs explicit negatives, but sampler "${Registry.display(sampler.type)}" gives only in-batch ones: use one of ${explicit.join(', ')}`,
    });
  }
}
