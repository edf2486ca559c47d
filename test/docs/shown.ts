import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/cli.ts';

/**
 * The commands README.md and docs/*.md show: every line of a fenced ```sh / bash / shell / console
 * block (console: only the `$ ` lines), and of an untagged fence whose first line is a command.
 * Continuation lines (`\` at the end) are joined, comment lines and trailing `# …` comments dropped,
 * runs of blanks collapsed, so a command reads the same wherever it is shown.
 */
export interface ShownCommand {
  /** README.md or docs/<name>.md */
  file: string;
  /** 1-based line of the command's first line in that file */
  line: number;
  /** 0-based index of its block in the file */
  block: number;
  text: string;
}

const SHELL = new Set(['sh', 'bash', 'shell', 'console']);
/** An untagged block counts as commands when its first line starts like one of these. */
const COMMANDISH = /^(\$ |\.\/|(\w+=\S* )*(npx|npm|node|nice|pip|pip3|python3?|bash|redis-server|cd|git)\b)/;

export function docFiles(): string[] {
  return [
    'README.md',
    ...readdirSync(join(repoRoot, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => `docs/${f}`),
  ];
}

/** One normalised command: comments dropped, blanks collapsed. Empty for a comment-only line. */
export function normalise(raw: string): string {
  return raw
    .replace(/^\s*#.*$/, '')
    .replace(/\s+#(?![!{]).*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export interface Block {
  file: string;
  index: number;
  lang: string;
  /** 1-based line of the block's first content line */
  line: number;
  body: string;
}

/** The fenced blocks of a file, in order, with their info string. */
export function fencedBlocks(file: string): Block[] {
  const lines = readFileSync(join(repoRoot, file), 'utf8').split('\n');
  const out: Block[] = [];
  let open: { lang: string; line: number; fence: string; body: string[] } | undefined;
  for (const [i, l] of lines.entries()) {
    const m = /^(\s*)(```+)\s*([\w-]*)/.exec(l);
    if (!open && m) open = { lang: m[3]!, line: i + 2, fence: m[2]!, body: [] };
    else if (open && m && m[2] === open.fence && m[3] === '') {
      out.push({ file, index: out.length, lang: open.lang, line: open.line, body: open.body.join('\n') });
      open = undefined;
    } else if (open) open.body.push(l);
  }
  return out;
}

/** The commands of one file's shell blocks. */
export function commandsOf(file: string): ShownCommand[] {
  const out: ShownCommand[] = [];
  for (const b of fencedBlocks(file)) {
    const first = b.body.split('\n').find((l) => l.trim() !== '') ?? '';
    const shell = SHELL.has(b.lang) || (b.lang === '' && COMMANDISH.test(first.trim()));
    if (!shell) continue;
    const lines = b.body.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const start = i;
      let raw = lines[i]!;
      if (b.lang === 'console') {
        if (!raw.startsWith('$ ')) continue;
        raw = raw.slice(2);
      }
      while (/\\\s*$/.test(raw) && i + 1 < lines.length) raw = raw.replace(/\\\s*$/, ' ') + lines[++i];
      const text = normalise(raw);
      if (text !== '') out.push({ file, line: b.line + start, block: b.index, text });
    }
  }
  return out;
}

/** Every command every doc shows. */
export function shownCommands(): ShownCommand[] {
  return docFiles().flatMap(commandsOf);
}

/**
 * Lines outside fences that a Markdown renderer shows as an indented code block holding a command
 * (four spaces after a blank line): they would escape the table, so the test asks to fence them.
 */
export function indentedCommands(file: string): { line: number; text: string }[] {
  const lines = readFileSync(join(repoRoot, file), 'utf8').split('\n');
  const out: { line: number; text: string }[] = [];
  let inFence = false;
  for (const [i, l] of lines.entries()) {
    if (/^\s*```/.test(l)) inFence = !inFence;
    else if (!inFence && /^ {4,}\S/.test(l) && (lines[i - 1] ?? '').trim() === '') {
      if (COMMANDISH.test(l.trim())) out.push({ line: i + 1, text: l.trim() });
    }
  }
  return out;
}

/** The shown command matching `re` in `file` (the test fails when the doc no longer shows it). */
export function shownLine(file: string, re: RegExp): string {
  const hit = commandsOf(file).find((c) => re.test(c.text));
  if (!hit) throw new Error(`${file} shows no command matching ${re}`);
  return hit.text;
}

/** The whole body of the first shell block of `file` holding a command that matches `re`. */
export function shownBlock(file: string, re: RegExp): string {
  const hit = commandsOf(file).find((c) => re.test(c.text));
  if (!hit) throw new Error(`${file} shows no command matching ${re}`);
  return fencedBlocks(file)[hit.block]!.body;
}
