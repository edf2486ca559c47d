import { describe, expect, it } from 'vitest';
import { COMMANDS, commandModules, commandName } from '../../packages/cli/src/commands.ts';

// `embrec --help` lists the commands from packages/cli/src/commands.ts without importing their
// modules; these lines must say what the modules say.
describe('embrec command table', () => {
  it.each(COMMANDS.map((c) => [commandName(c), c] as const))(
    '%s: usage line and description match its module',
    async (_name, entry) => {
      const mod = await entry.load();
      expect(mod.command).toBe(entry.command);
      expect(mod.describe).toBe(entry.describe);
      expect(typeof mod.handler).toBe('function');
    },
  );

  it('imports only the command named on the command line', async () => {
    const mods = await commandModules(['plan', 'x.yaml']);
    const plan = mods.find((m) => m.command === 'plan <file>');
    const run = mods.find((m) => m.command === 'run <file>');
    expect(plan?.builder).toBeDefined(); // the real module: it has its options
    expect(run?.builder).toBeUndefined(); // a listing only
  });
});
