import type { z } from 'zod';
import { DomainError } from '../errors';

/**
 * Validates input with a protocol schema and turns zod's issues into one 400 that names each
 * offending field by its path (`nodes[3].parentId`), with the details listing all of them.
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
  const shown = issues.slice(0, 5).map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`));
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  throw new DomainError('invalid', `Invalid ${where}: ${shown.join('; ')}${more}.`, { issues: issues.slice(0, 100) });
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}
