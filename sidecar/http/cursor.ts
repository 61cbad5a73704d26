import { DomainError } from '../errors';

/**
 * Opaque keyset cursors: base64url of a small JSON tuple. Clients pass back what they got; a
 * cursor that does not decode to the expected shape is a 400, never a silent first page.
 */
export function encodeCursor(parts: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeCursor<T extends readonly ('string' | 'number')[]>(
  cursor: string,
  shape: T,
): { [K in keyof T]: T[K] extends 'string' ? string : number } {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parts = undefined;
  }
  if (!Array.isArray(parts) || parts.length !== shape.length || parts.some((p, i) => typeof p !== shape[i])) {
    throw new DomainError('invalid', 'Invalid cursor: pass back the nextCursor value of the previous page unchanged.');
  }
  return parts as { [K in keyof T]: T[K] extends 'string' ? string : number };
}

/**
 * One keyset page: stores are asked for `limit + 1` rows, so a row beyond the limit says there is
 * a next page, whose cursor is the key of the last row shown.
 */
export function keysetPage<Row, Item>(
  rows: readonly Row[],
  limit: number,
  toItem: (row: Row) => Item,
  keyOf: (row: Row) => readonly (string | number)[],
): { items: Item[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { items: page.map(toItem), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
