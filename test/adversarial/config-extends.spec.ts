import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { BASE, configError, tempDir, writeFiles } from './config-helpers.ts';

/**
 * Issue 10 item 7: `extends: /etc/shadow` echoed the file in the error; `extends: /dev/zero`
 * allocated 17 GB; YAML alias bombs and 80k-key maps were slow or crashed with a stack.
 */
function exp(extendsValue: string, files: Record<string, string> = {}): string {
  const dir = tempDir();
  writeFiles(dir, { ...files, 'exp.yaml': `extends: ${extendsValue}\nname: x\n` });
  return join(dir, 'exp.yaml');
}

describe('extends reads only small regular YAML/JSON files', () => {
  it('a file without a .yaml/.yml/.json name is refused without being read', async () => {
    const secret = 'TOPSECRET root:$6$hash:19000:0:99999:7:::';
    const e = await configError(exp('./shadow', { shadow: `${secret}\n` }));
    const iss = e.issues.find((i) => i.path === 'extends');
    expect(iss?.message).toMatch(/\.yaml, \.yml or \.json/);
    expect(iss?.line).toBe(1);
    expect(e.format()).not.toContain('TOPSECRET');
  });

  it('/etc/shadow and /etc/passwd are refused and never echoed', async () => {
    for (const f of ['/etc/shadow', '/etc/passwd']) {
      const e = await configError(exp(f));
      expect(e.format()).not.toMatch(/root:/);
    }
  });

  it('/dev/zero (a device, endless) is refused before reading', async () => {
    const before = process.memoryUsage().rss;
    for (const f of ['/dev/zero', '/dev/zero.yaml', '/dev/stdin']) {
      const e = await configError(exp(f));
      expect(e.issues.some((i) => i.path === 'extends')).toBe(true);
    }
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 2 ** 20);
  });

  it('a folder named like a YAML file is refused', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'dir.yaml'));
    writeFiles(dir, { 'exp.yaml': 'extends: ./dir.yaml\nname: x\n' });
    const e = await configError(join(dir, 'exp.yaml'));
    expect(e.issues.find((i) => i.path === 'extends')?.message).toMatch(/not a regular file/);
  });

  it('a file over 1 MB is refused without echoing it', async () => {
    const big = `# ${'SECRETLINE '.repeat(10)}\n`.repeat(12_000); // ≈ 1.4 MB
    const e = await configError(exp('./big.yaml', { 'big.yaml': big }));
    expect(e.format()).toMatch(/1 MB/);
    expect(e.format()).not.toContain('SECRETLINE');
  });

  it('a syntax error in an extended file shows at most the offending line', async () => {
    const e = await configError(
      exp('./bad.yaml', {
        'bad.yaml': 'password: hunter2\napi_key: s3cr3t\nmodel: [unclosed\nmore: lines\n',
      }),
    );
    const text = e.format();
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('s3cr3t');
  });

  it('the experiment file itself must be a regular file of at most 1 MB', async () => {
    const e = await configError('/dev/zero');
    expect(e.issues[0]?.message).toMatch(/not a regular file/);
  });
});

describe('YAML resource limits', () => {
  const bomb = [
    'a: &a ["x","x","x","x","x","x","x","x","x"]',
    'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
    'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
    'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
    'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
    'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
    'i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]',
    '',
  ].join('\n');
  const keys = `${BASE}\ndescription: many keys\nmodel2:\n${Array.from({ length: 80_000 }, (_, i) => `  ${i.toString(36)}: 1`).join('\n')}\n`;
  const deep = `${BASE}\ndescription: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;

  it('an alias bomb is a config error', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'bomb.yaml': bomb });
    const e = await configError(join(dir, 'bomb.yaml'));
    expect(e.issues[0]?.message).toMatch(/alias/i);
  });

  it('an 80k-key map is a config error', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'keys.yaml': keys });
    const e = await configError(join(dir, 'keys.yaml'));
    expect(e.issues[0]?.message).toMatch(/keys/);
  });

  it('20,000 levels of nesting is a config error', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'deep.yaml': deep });
    const e = await configError(join(dir, 'deep.yaml'));
    expect(e.issues[0]?.message).toMatch(/nest/i);
  });

  it('embrec validate exits 2 with a one-line message and no stack for each', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'bomb.yaml': bomb, 'keys.yaml': keys, 'zero.yaml': 'extends: /dev/zero\n' });
    for (const f of ['bomb.yaml', 'keys.yaml', 'zero.yaml']) {
      const r = await runCli(['validate', join(dir, f)]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(
        r.stderr
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('✖')).length,
      ).toBe(1);
    }
  }, 240_000); // three CLI starts, generous for a loaded machine
});
