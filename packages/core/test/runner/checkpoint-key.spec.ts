import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkpointKey,
  dataFingerprint,
  legacyDataFingerprint,
  openCheckpoint,
} from '../../src/runner/checkpoint-key.ts';

const log = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as never;

describe('data fingerprints and checkpoint keys', () => {
  it('hash content: the same bytes in another file with another mtime match, one changed byte does not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'embrec-fp-'));
    writeFileSync(join(dir, 'a.csv'), 'user,item\nu1,i1\n');
    const cfg = { dataset: { type: 'csv', path: 'a.csv' } } as never;
    const first = dataFingerprint(cfg, dir);
    expect(first).toMatch(/^c1-[0-9a-f]{12}$/);
    writeFileSync(join(dir, 'a.csv'), 'user,item\nu1,i1\n');
    expect(dataFingerprint(cfg, dir)).toBe(first);
    writeFileSync(join(dir, 'a.csv'), 'user,item\nu1,i2\n');
    expect(dataFingerprint(cfg, dir)).not.toBe(first);
  });

  it('a checkpoint stamped with the earlier (size + mtime) fingerprint resumes and is restamped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'embrec-ck-'));
    writeFileSync(join(dir, 'a.csv'), 'user,item\nu1,i1\n');
    const cfg = { dataset: { type: 'csv', path: 'a.csv' } } as never;
    const ck = join(dir, 'ck');
    mkdirSync(ck);
    writeFileSync(join(ck, 'state.json'), '{}');
    const legacy = checkpointKey('cfg1', legacyDataFingerprint(cfg, dir));
    writeFileSync(join(ck, 'checkpoint-key.json'), JSON.stringify(legacy));
    const key = checkpointKey('cfg1', dataFingerprint(cfg, dir));
    const legacyData = () => legacyDataFingerprint(cfg, dir);
    expect(openCheckpoint(ck, key, { force: false, log, legacyData })).toBe(true);
    expect(JSON.parse(readFileSync(join(ck, 'checkpoint-key.json'), 'utf8'))).toEqual(key);
    expect(readFileSync(join(ck, 'state.json'), 'utf8')).toBe('{}');
    // another config's legacy checkpoint is discarded
    writeFileSync(join(ck, 'checkpoint-key.json'), JSON.stringify(checkpointKey('cfg0', legacyData())));
    expect(openCheckpoint(ck, key, { force: false, log, legacyData })).toBe(false);
  });
});
