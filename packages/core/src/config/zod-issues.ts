import type { z } from 'zod';
import type { ConfigIssue } from '../errors.ts';
import { didYouMean } from '../util/suggest.ts';
import { formatPath, getPath } from './merge.ts';
import { describe } from './source.ts';

/**
 * Turns zod issues into embrec's messages: what was expected, what was found, a did-you-mean for
 * unknown keys and the list of accepted ones.
 */
export function zodIssuesToConfigIssues(
  error: z.ZodError,
  opts: {
    prefix: (string | number)[];
    input: unknown;
    owner?: string;
    acceptedKeys?: (path: PropertyKey[]) => string[];
  },
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    const rel = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const full = [...opts.prefix, ...rel];
    const found = getPath(opts.input, rel);
    const owner = opts.owner ? ` (${opts.owner}` : '';
    switch (issue.code) {
      case 'unrecognized_keys': {
        const accepted = opts.acceptedKeys?.(issue.path) ?? [];
        for (const key of issue.keys) {
          const dym = didYouMean(key, accepted);
          const acc =
            accepted.length > 0
              ? `${owner ? `${owner} accepts: ` : ' (accepted: '}${accepted.join(', ')})`
              : '';
          out.push({
            path: formatPath([...full, key]),
            message: `Unrecognized key "${key}".${dym ? ` Did you mean "${dym}"?` : ''}${acc}`,
          });
        }
        break;
      }
      case 'invalid_type': {
        const what = found === undefined ? 'Missing required field' : 'Wrong type';
        out.push({
          path: formatPath(full),
          message:
            found === undefined
              ? `${what}: expected ${issue.expected}`
              : `${what}: expected ${issue.expected}, found ${describe(found)}`,
        });
        break;
      }
      case 'invalid_value': {
        const vals = issue.values.map((v) => JSON.stringify(v)).join(', ');
        const dym = typeof found === 'string' ? didYouMean(found, issue.values.map(String)) : undefined;
        out.push({
          path: formatPath(full),
          message: `Invalid value: expected one of ${vals}, found ${describe(found)}${dym ? `. Did you mean "${dym}"?` : ''}`,
        });
        break;
      }
      case 'too_small':
      case 'too_big': {
        out.push({ path: formatPath(full), message: `${capital(issue.message)}, found ${describe(found)}` });
        break;
      }
      default:
        out.push({
          path: formatPath(full),
          message: `${capital(issue.message)}${found !== undefined ? `, found ${describe(found)}` : ''}`,
        });
    }
  }
  return out;
}

function capital(s: string): string {
  return s.length > 0 ? s[0]!.toUpperCase() + s.slice(1) : s;
}
