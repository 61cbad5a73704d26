import type { Context } from 'koa';
import { DomainError } from '../errors';

/**
 * Reads and parses a JSON request body with a hard size limit. Every failure is the client's and
 * says what to fix: 415 for another content type, 413 naming the limit, 400 with the parser's
 * position for malformed JSON.
 */
export async function readJsonBody(ctx: Context, limitBytes: number): Promise<unknown> {
  const type = ctx.get('content-type');
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new DomainError(
      'unsupported_media_type',
      `Expected Content-Type: application/json, got ${type === '' ? 'none' : JSON.stringify(type)}.`,
    );
  }
  const declared = Number(ctx.get('content-length') || Number.NaN);
  if (declared > limitBytes) throw tooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) {
      // Stop reading; the connection is closed after the answer so the rest is not parsed.
      ctx.set('Connection', 'close');
      throw tooLarge(limitBytes);
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new DomainError('invalid', 'The request body is empty: send a JSON document.');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DomainError('invalid', `The request body is not valid JSON: ${(error as Error).message}.`);
  }
}

function tooLarge(limitBytes: number): DomainError {
  return new DomainError(
    'payload_too_large',
    `The request body is larger than ${limitBytes.toLocaleString('en')} bytes (RUNTRAIL_MAX_BODY_BYTES): send fewer records per request.`,
    { limitBytes },
  );
}
