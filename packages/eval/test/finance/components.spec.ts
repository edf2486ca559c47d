import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { financeComponents } from '../../src/finance/index.ts';
import plugin from '../../src/index.ts';

describe('finance components', () => {
  it('are registered in the eval plugin', () => {
    const names = plugin.components.map((c) => `${c.kind}/${c.type}`);
    for (const c of financeComponents) expect(names).toContain(`${c.kind}/${c.type}`);
    expect(financeComponents.map((c) => `${c.kind}/${c.type}`).sort()).toEqual([
      'model/bm25',
      'model/co-holding',
      'model/text-svd',
      'model/topic-oracle',
    ]);
  });

  for (const c of financeComponents) {
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
