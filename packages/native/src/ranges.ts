/** An option's accepted range: [low, high, integer?]. */
export type Range = readonly [min: number, max: number, integer: boolean];

/** The problem with `options.<key>` = value against its range, or undefined when it is in range. */
export function rangeProblem(key: string, value: unknown, [lo, hi, integer]: Range): string | undefined {
  if (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= lo &&
    value <= hi &&
    (!integer || Number.isInteger(value))
  )
    return undefined;
  return `options.${key}: expected ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${String(value)}`;
}
