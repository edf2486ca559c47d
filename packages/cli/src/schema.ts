import { BUILTIN_NAMESPACE, type Registry, SECTIONS } from '@embrec/core';
import { z } from 'zod';

/** The JSON Schema of one component's parameters (input side: defaults are optional). */
export function paramsJsonSchema(schema: z.ZodType): Record<string, unknown> {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  } catch {
    return { type: 'object' };
  }
}

/** A JSON Schema of experiment files for editors (yaml-language-server), built from the registry. */
export function experimentJsonSchema(registry: Registry): Record<string, unknown> {
  const blockSchema = (kind: string): Record<string, unknown> => {
    const variants = registry.list(kind).map((c) => {
      const params = paramsJsonSchema(c.def.schema);
      const short = c.qualifiedType.startsWith(`${BUILTIN_NAMESPACE}/`)
        ? c.qualifiedType.slice(BUILTIN_NAMESPACE.length + 1)
        : undefined;
      const names = short ? [short, c.qualifiedType] : [c.qualifiedType];
      return {
        type: 'object',
        description: c.def.description,
        properties: {
          type: { enum: names, description: c.def.description },
          ...((params.properties as object) ?? {}),
        },
        required: ['type', ...((params.required as string[]) ?? [])],
        additionalProperties: false,
      };
    });
    const names = registry
      .list(kind)
      .flatMap((c) => [c.qualifiedType, c.qualifiedType.replace(`${BUILTIN_NAMESPACE}/`, '')]);
    return { anyOf: [...variants, { type: 'string', enum: [...new Set(names)] }] };
  };
  const properties: Record<string, unknown> = {
    $schema: { type: 'string' },
    name: { type: 'string', description: 'Experiment name (run folder, MLflow experiment)' },
    description: { type: 'string' },
    extends: {
      anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
      description: 'Base file(s), deep-merged under this one',
    },
    seed: { type: 'integer', minimum: 0, default: 42 },
    backend: { enum: ['auto', 'tensorflow', 'native', 'cpu'], default: 'auto' },
    threads: { type: 'integer', minimum: 1, default: 1 },
    plugins: {
      type: 'array',
      items: { type: 'string' },
      description: 'Third-party plugin packages (foo → @embrec/plugin-foo → embrec-plugin-foo)',
    },
    output: { type: 'string', default: 'runs' },
    retrieve: {
      type: 'object',
      properties: { k: { type: 'integer', minimum: 1, default: 1000 } },
      additionalProperties: false,
    },
    plots: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['x', 'y'],
        properties: {
          x: { type: 'string', description: 'config path on the x axis (loss.temperature)' },
          y: { type: 'string', description: 'metric display name (HR@10)' },
          title: { type: 'string' },
          xScale: { enum: ['linear', 'log'], default: 'linear' },
        },
      },
    },
    sweep: {
      type: 'object',
      additionalProperties: false,
      properties: {
        mode: { enum: ['grid', 'random'], default: 'grid' },
        samples: { type: 'integer', minimum: 1 },
        seeds: { type: 'array', items: { type: 'integer' } },
        baseline: { type: 'string' },
        params: { type: 'object', additionalProperties: true },
      },
    },
  };
  for (const s of SECTIONS) {
    properties[s.key] = s.many ? { type: 'array', items: blockSchema(s.kind) } : blockSchema(s.kind);
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'embrec experiment file',
    type: 'object',
    additionalProperties: false,
    properties,
    required: SECTIONS.filter((s) => s.required).map((s) => s.key),
  };
}
