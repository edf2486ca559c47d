import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, EmbrecError, sweepDirOf } from '@embrec/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { load } from '../../packages/cli/src/commands/common.ts';
import { tempDir, writeFiles } from './config-helpers.ts';

/**
 * Issue 10 "done when": ≥ 1,000 generated experiment files (random YAML shapes, wrong types, huge
 * numbers, odd strings, path tricks in name/extends/plugins/output, raw bytes) go through the
 * functions `embrec validate` and `embrec plan` call (commands/common.ts `load`, then what `plan`
 * prints). Every one ends valid or as a config error whose every message is one line; none hangs
 * (a generous per-case timeout, not a timing assertion); the heap stays under a cap; no file
 * outside the case file changes, and no module outside an opted-in plugin package is imported.
 */
const RUNS = 1000;
const HEAP_CAP = 1536 * 2 ** 20;
const CASE_TIMEOUT_MS = 20_000;
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for raw control characters
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/;

let root = '';
let work = '';
let marker = '';
const cwd = process.cwd();

/** Every file under `dir` with its size and mtime (what "nothing else changed" compares). */
function snapshot(dir: string, skip: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (p === skip) continue;
      const st = statSync(p);
      out.set(p, `${e.isDirectory() ? 'dir' : st.size}:${st.mtimeMs}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

beforeAll(() => {
  root = tempDir('embrec-fuzz-');
  work = join(root, 'work');
  marker = join(root, 'PWNED');
  const evil = `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\nexport default {};\n`;
  const schema = '{ shape: {}, safeParse: (v) => ({ success: true, data: v }) }';
  writeFiles(root, {
    'evil.mjs': evil,
    'victim/keep': 'keep me\n',
    'victim/keep.yaml': 'name: victim\n',
    'work/evil.mjs': evil,
    'work/base.yaml': 'dataset: { type: demo, users: 20, items: 30 }\nsplit: { type: leave-one-out }\n',
    'work/notes.txt': 'SECRET notes\n',
    'work/node_modules/notplugin/package.json': JSON.stringify({ name: 'notplugin', main: 'index.js' }),
    'work/node_modules/notplugin/index.js': evil,
    'work/node_modules/embrec-plugin-esc/package.json': JSON.stringify({
      name: 'embrec-plugin-esc',
      embrec: { plugin: '../../../evil.mjs' },
    }),
    'work/node_modules/embrec-plugin-good/package.json': JSON.stringify({
      name: 'embrec-plugin-good',
      embrec: { plugin: './main.mjs' },
    }),
    'work/node_modules/embrec-plugin-good/main.mjs': `export default { meta: { name: 'embrec-plugin-good', version: '1.0.0', namespace: 'good' }, engines: { '@embrec/core': '*' }, components: [{ kind: 'model', type: 'm', description: '', schema: ${schema}, create: () => ({}) }] };\n`,
    'work/node_modules/embrec-plugin-squat/package.json': JSON.stringify({
      name: 'embrec-plugin-squat',
      embrec: { plugin: './main.mjs' },
    }),
    'work/node_modules/embrec-plugin-squat/main.mjs': `export default { meta: { name: 'embrec-plugin-squat', version: '1.0.0', namespace: 'embrec' }, engines: { '@embrec/core': '*' }, components: [] };\n`,
  });
  mkdirSync(join(root, 'victim', 'run'), { recursive: true });
  mkdirSync(join(work, 'case'), { recursive: true });
  process.chdir(work);
});

afterAll(() => {
  process.chdir(cwd);
});

// ---------------------------------------------------------------------------------------------
// Generators

const oddString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\nb',
    '\u202e',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an env reference as a literal config value
    '${HOME}',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an unset env reference as a literal value
    '${NOPE_UNSET_VAR}',
    '%s%n',
    '~',
    '*a',
    '&a',
  ),
  fc.string({ minLength: 150, maxLength: 400 }),
);
const hugeNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -0, 1e12, 2147483647, 2147483648, -1, 0, 0.5),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map((b) => Number(b)),
);
const scalar = fc.oneof(oddString, hugeNumber, fc.boolean(), fc.constant(null));
const anyValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(oddString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

const pathTrick = (inside: () => string[]) =>
  fc.constantFrom(
    '..',
    '.',
    '../victim',
    '../../',
    '../victim/keep',
    './evil.mjs',
    'evil.mjs',
    'a/b',
    'a\\b',
    'C:\\evil',
    '\\\\server\\share',
    'notes.txt',
    '/dev/zero',
    '/dev/stdin',
    '/etc/passwd',
    '/proc/self/environ',
    '',
    ...inside(),
  );
const tricks = () => [join(root, 'victim'), join(root, 'evil.mjs'), join(root, 'victim', 'keep.yaml')];

const block = (types: string[]) =>
  fc.oneof(
    fc.constantFrom(...types),
    fc.record({ type: fc.constantFrom(...types) }),
    fc.record({ type: fc.oneof(fc.constantFrom(...types), oddString) }, { requiredKeys: [] }),
    fc
      .tuple(fc.constantFrom(...types), fc.dictionary(oddString, anyValue, { maxKeys: 3 }))
      .map(([type, rest]) => ({
        ...rest,
        type,
      })),
    anyValue,
  );

const sweep = fc.oneof(
  fc.record({
    params: fc.dictionary(
      fc.oneof(
        fc.constantFrom('model.dim', 'seed', 'loss', 'sampler', 'model', 'name', 'output', 'description'),
        fc.constantFrom('__proto__.x', 'constructor.prototype.x', 'model.__proto__.polluted', 'prototype'),
        oddString,
      ),
      fc.array(anyValue, { minLength: 1, maxLength: 5 }),
      { maxKeys: 3 },
    ),
    seeds: fc.option(fc.array(fc.nat({ max: 100 }), { minLength: 1, maxLength: 3 }), { nil: undefined }),
  }),
  // large grids: the count must come from axis lengths (refused above 10,000 before expanding)
  fc.integer({ min: 2, max: 12 }).map((axes) => ({
    params: Object.fromEntries(
      Array.from({ length: axes }, (_, i) => [
        i % 2 ? 'model.dim' : 'description',
        Array.from({ length: 10 }, (_, j) => j + 1),
      ]).map(([k, v], i) => [i < 2 ? k : `description`, v]),
    ),
  })),
  fc.record({
    mode: fc.constant('random'),
    samples: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constantFrom(1e9, 1e15, 2 ** 31)),
    params: fc.constant({ 'model.dim': { min: 2, max: 64, int: true } }),
  }),
  anyValue,
);

const experiment = fc.record(
  {
    name: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/), pathTrick(tricks), oddString),
    extends: fc.oneof(
      fc.constantFrom('./base.yaml', 'base.yaml', './missing.yaml'),
      pathTrick(tricks),
      fc.array(fc.constantFrom('./base.yaml', '/dev/zero', '../victim/keep.yaml'), { maxLength: 3 }),
      anyValue,
    ),
    plugins: fc.oneof(
      fc.array(
        fc.oneof(
          fc.constantFrom(
            'good',
            'notplugin',
            'esc',
            'squat',
            'embrec-plugin-good',
            './node_modules/embrec-plugin-good',
          ),
          pathTrick(tricks),
          oddString,
        ),
        { maxLength: 3 },
      ),
      anyValue,
    ),
    output: fc.oneof(pathTrick(tricks), oddString, hugeNumber),
    seed: fc.oneof(hugeNumber, oddString),
    threads: fc.oneof(hugeNumber, oddString),
    backend: fc.oneof(fc.constantFrom('auto', 'cpu', 'native', 'gpu'), oddString),
    dataset: block(['demo', 'csv', 'movielens', 'nope']),
    split: block(['leave-one-out', 'random', 'temporal', 'nope']),
    model: block(['mf', 'two-tower', 'ease', 'mostpop', 'good/m', 'nope', './evil.mjs']),
    loss: block(['infonce', 'bpr', 'triplet', 'nope']),
    sampler: block(['in-batch', 'uniform', 'mixed', 'nope']),
    index: block(['exact', 'hnsw', 'nope']),
    retrieve: fc.oneof(fc.record({ k: hugeNumber }), anyValue),
    evaluate: block(['full', 'sampled', 'nope']),
    sweep,
    extra: anyValue,
  },
  { requiredKeys: [] },
);

/** Valid files with small variations (so the property also covers the accepted side). */
const validExperiment = fc
  .record({
    name: fc.stringMatching(/^[A-Za-z0-9_-]{1,30}$/),
    dim: fc.integer({ min: 1, max: 64 }),
    loss: fc.constantFrom('infonce', 'bpr', 'triplet'),
    sampler: fc.constantFrom('uniform', 'mixed', 'popularity'),
    axis: fc.option(
      fc.array(fc.oneof(fc.stringMatching(/^[a-z ]{0,12}$/), oddString), { minLength: 1, maxLength: 4 }),
      {
        nil: undefined,
      },
    ),
    seeds: fc.option(fc.array(fc.nat({ max: 9 }), { minLength: 1, maxLength: 3 }), { nil: undefined }),
    useBase: fc.boolean(),
  })
  .map((v) => {
    const o: Record<string, unknown> = { name: v.name };
    if (v.useBase) o.extends = './base.yaml';
    else {
      o.dataset = { type: 'demo', users: 20, items: 30 };
      o.split = 'leave-one-out';
    }
    o.model = { type: 'mf', dim: v.dim };
    o.loss = v.loss;
    o.sampler = v.sampler;
    if (v.axis || v.seeds) {
      const sw: Record<string, unknown> = { params: v.axis ? { description: v.axis } : {} };
      if (v.seeds) sw.seeds = v.seeds;
      o.sweep = sw;
    }
    return stringify(o);
  });

const rawText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.constantFrom(
    'a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n',
    `name: deep\ndescription: ${'['.repeat(5000)}${']'.repeat(5000)}\n`,
    '__proto__: { polluted: 1 }\n',
    'name: x\nname: y\n',
    '? [complex, key]\n: value\n',
    '%YAML 1.2\n---\nname: a\n---\nname: b\n',
    '!!js/function "function(){}"\n',
    'name: !!binary AAAA\n',
    '{"name": "json", "dataset": }',
    '\ufeffname: bom\n',
    '- a list\n- at the top\n',
    'just a string',
  ),
);

/** One generated case: a file body (YAML text) and --set arguments. */
const fuzzCase = fc.record({
  text: fc.oneof(
    {
      weight: 4,
      arbitrary: experiment.map((e) => {
        const { extra, ...rest } = e;
        const obj: Record<string, unknown> = { ...rest };
        if (extra !== undefined && typeof extra === 'object' && extra !== null && !Array.isArray(extra))
          Object.assign(obj, extra);
        try {
          return stringify(obj);
        } catch {
          return 'name: unstringifiable\n';
        }
      }),
    },
    { weight: 1, arbitrary: rawText },
    { weight: 2, arbitrary: validExperiment },
  ),
  set: fc.oneof(
    { weight: 3, arbitrary: fc.constant([] as string[]) },
    {
      weight: 1,
      arbitrary: fc.array(
        fc.oneof(
          fc.constantFrom(
            'model.dim=1e308',
            '__proto__.polluted=1',
            'constructor.prototype.polluted=1',
            'name=../victim',
            'sweep.params={}',
            'plugins=[./evil.mjs]',
            'model={type: mf, __proto__: {polluted: 1}}',
          ),
          oddString,
        ),
        { maxLength: 2 },
      ),
    },
  ),
  ext: fc.constantFrom('yaml', 'yml', 'json'),
});

// ---------------------------------------------------------------------------------------------

describe('fuzzed experiment files', () => {
  it(`${RUNS} generated files end valid or as a one-line config error, touching nothing`, async () => {
    const before = snapshot(root, join(work, 'case'));
    let valid = 0;
    let errors = 0;
    let maxHeap = 0;
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fuzzCase, async (c) => {
        const caseDir = join(work, 'case');
        mkdirSync(caseDir, { recursive: true });
        const file = join(caseDir, `exp-${n++}.${c.ext}`);
        writeFileSync(file, c.text);
        let timer: NodeJS.Timeout | undefined;
        const hung = new Promise<never>((_, rej) => {
          timer = setTimeout(
            () => rej(new Error(`case hung: ${JSON.stringify(c).slice(0, 300)}`)),
            CASE_TIMEOUT_MS,
          );
        });
        try {
          // what `embrec validate` and `embrec plan` do
          const { exp } = await Promise.race([load({ file, set: c.set, maxTrials: 10_000 }), hung]);
          const dir = sweepDirOf(exp);
          expect(typeof dir).toBe('string');
          expect(exp.trials.length).toBeLessThanOrEqual(10_000);
          for (const t of exp.trials) stringify(t.config);
          valid++;
        } catch (e) {
          if (!(e instanceof EmbrecError)) throw e; // a crash, not a config error
          expect(e.message).not.toContain('\n');
          if (e instanceof ConfigError) {
            expect(e.issues.length).toBeGreaterThan(0);
            for (const i of e.issues) {
              expect(i.message).not.toContain('\n');
              expect(i.message).not.toMatch(CONTROL);
            }
            expect(e.format()).not.toMatch(CONTROL);
          }
          errors++;
        } finally {
          clearTimeout(timer);
        }
        const heap = process.memoryUsage().heapUsed;
        maxHeap = Math.max(maxHeap, heap);
        expect(heap).toBeLessThan(HEAP_CAP);
        expect(existsSync(marker)).toBe(false);
        expect(Object.keys(Object.prototype)).toEqual([]);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: RUNS, seed: 20261206, endOnFailure: true },
    );
    // nothing outside the case folder changed (the victim folder, the plugin packages, the base)
    expect(snapshot(root, join(work, 'case'))).toEqual(before);
    expect(existsSync(marker)).toBe(false);
    expect(readdirSync(join(root, 'victim')).sort()).toEqual(['keep', 'keep.yaml', 'run']);
    expect(valid + errors).toBe(RUNS);
    expect(valid).toBeGreaterThan(0); // the generator reaches valid files too
    console.log(
      `fuzz: ${valid} valid, ${errors} config errors, max heap ${(maxHeap / 2 ** 20).toFixed(0)} MB`,
    );
  }, 300_000);
});
