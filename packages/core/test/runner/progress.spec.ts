import { describe, expect, it } from 'vitest';
import { makeProgress } from '../../src/runner/progress.ts';

describe('progress without a terminal', () => {
  it('writes one line per task (an epoch), when it completes, with the last info', () => {
    const lines: string[] = [];
    const p = makeProgress('lines', 'trial epoch 1/3', 50, (l) => lines.push(l));
    for (let i = 0; i < 50; i++) p.tick(1, { loss: 1 / (i + 1) });
    p.done();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^trial epoch 1\/3: 50\/50 \(\d+\.\d+s\) loss=0\.02000$/);
  });

  it('writes nothing for an unfinished task and nothing in none mode', () => {
    const lines: string[] = [];
    const p = makeProgress('lines', 'x', 10, (l) => lines.push(l));
    for (let i = 0; i < 9; i++) p.tick();
    const q = makeProgress('none', 'y', 10, (l) => lines.push(l));
    for (let i = 0; i < 10; i++) q.tick();
    expect(lines).toEqual([]);
  });
});
