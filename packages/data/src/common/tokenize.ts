/** Lower-case word tokens: letters and digits, inner hyphens kept ("low-beta", "s0012"). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+(?:-[a-z0-9]+)*/g) ?? [];
}
