import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadExperiment } from '@embrec/core';
import { describe, expect, it } from 'vitest';
import { builtinRegistry } from '../../packages/cli/src/builtins.ts';
import { runCli } from '../helpers/cli.ts';
import { BASE, configError, tempDir, writeFiles } from './config-helpers.ts';

/**
 * Issue 10 items 5 (names) and 13: `name: ../victim` wrote outside the output folder; names with
 * NUL, newlines or 300 bytes and binary garbage gave multi-line or raw-control-character errors.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find control characters
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function file(body: string, name = 'exp.yaml'): string {
  const dir = tempDir();
  writeFiles(dir, { [name]: body });
  return join(dir, name);
}

function expectOneLine(e: { issues: readonly { message: string }[]; format(): string }): void {
  for (const i of e.issues) {
    expect(i.message).not.toContain('\n');
    expect(i.message).not.toMatch(CONTROL);
  }
  expect(e.format()).not.toMatch(CONTROL);
}

describe('the experiment name is a safe slug', () => {
  const bad: [string, string][] = [
    ['../victim', '"../victim"'],
    ['..', '".."'],
    ['.', '"."'],
    ['a/b', '"a/b"'],
    ['a\\\\b', 'at most 100 bytes'],
    ['"a\\nb"', 'a\\nb'],
    ['"a\\0b"', 'a\\0b'],
    ['"tab\\tname"', 'tab\\tname'],
    ['x'.repeat(101), 'found 101 bytes'],
    ['é'.repeat(51), 'found 102 bytes'],
    ['/abs', '"/abs"'],
    ['"name with space"', 'name with space'],
  ];
  for (const [value, shown] of bad) {
    it(`rejects name: ${value.slice(0, 30)}`, async () => {
      const e = await configError(file(`name: ${value}\n${BASE}\n`));
      const iss = e.issues.find((i) => i.path === 'name');
      expect(iss, JSON.stringify(e.issues)).toBeDefined();
      expect(iss?.line).toBe(1);
      expect(iss?.message).toContain(shown);
      expect(iss?.message.length).toBeLessThan(300);
      expectOneLine(e);
    });
  }

  it('accepts letters, digits, - _ . up to 100 bytes', async () => {
    for (const name of ['ml-1m_v2.0', 'a', 'x'.repeat(100), 'a..b'.replace('..', '.')]) {
      const exp = await loadExperiment(file(`name: ${name}\n${BASE}\n`), { registry: builtinRegistry() });
      expect(exp.name).toBe(name);
    }
  });

  it('rejects a name containing ".." anywhere', async () => {
    const e = await configError(file(`name: a..b\n${BASE}\n`));
    expect(e.issues.some((i) => i.path === 'name')).toBe(true);
  });

  it('a name taken from the file name is made safe', async () => {
    const exp = await loadExperiment(file(`${BASE}\n`, 'my exp (v2).yaml'), { registry: builtinRegistry() });
    expect(exp.name).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(exp.name).not.toContain('..');
  });

  it('a sweep cannot set the name to a path', async () => {
    const e = await configError(file(`name: ok\n${BASE}\nsweep:\n  params:\n    name: [ok, ../up]\n`));
    expect(e.issues.some((i) => i.path === 'name' || i.path.startsWith('sweep'))).toBe(true);
  });
});

describe('generated trial names are safe, deterministic and unique', () => {
  const values = [
    '../../etc/passwd',
    '..',
    'a/b',
    'a~b',
    'a b',
    'nul\u0000x',
    'line\nbreak',
    'x'.repeat(300),
    `${'x'.repeat(300)}y`,
    'é'.repeat(200),
    'C:\\\\evil',
    'q"?*<>|:',
    'x#2',
    'x',
  ];
  const body = `name: trials\n${BASE}\nsweep:\n  params:\n    description: ${JSON.stringify(values)}\n`;

  it('every trial folder name is one safe path segment of at most 100 bytes', async () => {
    const f = file(body);
    const a = await loadExperiment(f, { registry: builtinRegistry() });
    const b = await loadExperiment(f, { registry: builtinRegistry() });
    const names = a.trials.map((t) => t.name);
    expect(names).toEqual(b.trials.map((t) => t.name)); // deterministic
    expect(new Set(names).size).toBe(values.length); // unique
    for (const n of names) {
      expect(n).not.toMatch(/[/\\]/);
      expect(n).not.toMatch(CONTROL);
      expect(n).not.toBe('..');
      expect(n).not.toBe('.');
      expect(Buffer.byteLength(n)).toBeLessThanOrEqual(100);
    }
    for (const t of a.trials) {
      expect(t.group).not.toMatch(/[/\\]/);
      expect(Buffer.byteLength(t.group)).toBeLessThanOrEqual(100);
    }
  });

  it('a value like "x#2" never collides with the second trial named "x"', async () => {
    const f = file(`name: dup\n${BASE}\nsweep:\n  params:\n    description: ['x#2', x, x]\n`);
    const exp = await loadExperiment(f, { registry: builtinRegistry() });
    const names = exp.trials.map((t) => t.name);
    expect(new Set(names).size).toBe(3);
  });

  it('readable names are kept as they were', async () => {
    const f = file(`name: keep\n${BASE}\nsweep:\n  params:\n    model.dim: [4, 8]\n  seeds: [1]\n`);
    const exp = await loadExperiment(f, { registry: builtinRegistry() });
    expect(exp.trials.map((t) => t.name)).toEqual(['model.dim=4,seed=1', 'model.dim=8,seed=1']);
  });
});

describe('control characters and binary garbage give one-line errors, exit 2', () => {
  it('binary garbage in a YAML file is a config error with escaped characters', async () => {
    const bytes = new Uint8Array(4096);
    let x = 12345;
    for (let i = 0; i < bytes.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      bytes[i] = x >>> 24;
    }
    const dir = tempDir();
    writeFiles(dir, { 'garbage.yaml': bytes });
    const e = await configError(join(dir, 'garbage.yaml'));
    expectOneLine(e);
  });

  it('a NUL in a key is escaped in the message', async () => {
    const e = await configError(file(`${BASE}\n"bad\\0key": 1\n`));
    expectOneLine(e);
    expect(e.format()).toContain('\\0');
  });

  it('embrec validate on a garbage file and a NUL name exits 2 with no stack trace', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'garbage.yaml': new Uint8Array([0, 1, 2, 0xff, 0xfe, 10, 58, 58, 27, 91, 50, 74, 7, 0, 10]),
      'nul.yaml': `name: "a\\0b\\e[2J"\n${BASE}\n`,
    });
    for (const f of readdirSync(dir)) {
      const r = await runCli(['validate', join(dir, f)]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.stderr).not.toMatch(CONTROL);
    }
  }, 180_000); // two CLI starts, generous for a loaded machine
});
