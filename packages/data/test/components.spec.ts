import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import plugin, { dataComponents, holdingsComponents } from '../src/index.ts';

describe('data components', () => {
  it('has unique types per kind and covers the documented set', () => {
    const names = plugin.components.map((c) => `${c.kind}/${c.type}`);
    expect(plugin.components).toEqual([...dataComponents, ...holdingsComponents]);
    expect(new Set(names).size).toBe(names.length);
    expect(names.sort()).toEqual(
      [
        'dataset/csv',
        'dataset/demo',
        'dataset/holdings',
        'dataset/synthetic-holdings',
        'dataset/lightgcn',
        'dataset/movielens-100k',
        'dataset/movielens-1m',
        'dataset/movielens-latest',
        'dataset/parquet',
        'splitter/given',
        'splitter/leave-k-out',
        'splitter/leave-one-out',
        'splitter/random',
        'splitter/temporal',
        'transform/dedup',
        'transform/implicit',
        'transform/k-core',
      ].sort(),
    );
  });

  for (const c of plugin.components) {
    it(`${c.kind} ${c.type}: strict schema, defaults, JSON Schema with descriptions`, () => {
      expect(c.description.length).toBeGreaterThan(10);
      expect(() => c.schema.parse({ notAParameter: 1 })).toThrow();
      c.schema.parse({});
      const js = z.toJSONSchema(c.schema, { io: 'input', unrepresentable: 'any' }) as {
        properties?: Record<string, { description?: string }>;
      };
      for (const [key, prop] of Object.entries(js.properties ?? {}))
        expect(prop.description, `${c.type}.${key}`).toBeTruthy();
    });
  }
});
