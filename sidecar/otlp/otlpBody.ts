import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { DomainError } from '../errors';
import { decodeTraceRequestJson, JsonShapeError } from './otlpJson';
import type { OtlpTraceRequest } from './otlpModel';
import { decodeTraceRequest } from './otlpProto';
import { WireError } from './protoWire';

const gunzipAsync = promisify(gunzip);

export type OtlpEncoding = 'json' | 'protobuf';

/** The encoding a Content-Type asks for; 415 for anything else. */
export function encodingOf(contentType: string): OtlpEncoding {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  throw new DomainError(
    'unsupported_media_type',
    `OTLP/HTTP takes Content-Type application/x-protobuf or application/json, got ${contentType === '' ? 'none' : JSON.stringify(contentType)}.`,
  );
}

/**
 * Reads the wire bytes (at most `limitBytes`), inflates gzip (output also capped at `limitBytes`,
 * so a gzip bomb is a 413, never a memory blow-up) and decodes the export request. Any failure is
 * the client's: 413, 415 or 400 naming what is wrong.
 */
export async function readTraceRequest(
  body: AsyncIterable<Buffer>,
  headers: { contentType: string; contentEncoding: string; contentLength: string },
  limitBytes: number,
): Promise<{ encoding: OtlpEncoding; request: OtlpTraceRequest }> {
  const encoding = encodingOf(headers.contentType);
  const contentEncoding = headers.contentEncoding.trim().toLowerCase();
  if (contentEncoding !== '' && contentEncoding !== 'identity' && contentEncoding !== 'gzip') {
    throw new DomainError(
      'unsupported_media_type',
      `Content-Encoding ${JSON.stringify(headers.contentEncoding)} is not supported: send gzip or none.`,
    );
  }
  if (Number(headers.contentLength || Number.NaN) > limitBytes) throw tooLarge(limitBytes, 'request body');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limitBytes) throw tooLarge(limitBytes, 'request body');
    chunks.push(chunk);
  }
  let bytes = Buffer.concat(chunks);
  if (contentEncoding === 'gzip') {
    try {
      bytes = await gunzipAsync(bytes, { maxOutputLength: limitBytes });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
        throw tooLarge(limitBytes, 'decompressed request body');
      }
      throw new DomainError('invalid', `The request body is not valid gzip: ${(error as Error).message}.`);
    }
  }
  return { encoding, request: decode(bytes, encoding) };
}

function decode(bytes: Buffer, encoding: OtlpEncoding): OtlpTraceRequest {
  if (encoding === 'protobuf') {
    try {
      return decodeTraceRequest(bytes);
    } catch (error) {
      if (error instanceof WireError) {
        throw new DomainError('invalid', `The request body is not a valid OTLP ExportTraceServiceRequest (protobuf): ${error.message}.`);
      }
      throw error;
    }
  }
  const text = bytes.toString('utf8');
  if (text.trim() === '') throw new DomainError('invalid', 'The request body is empty: send an OTLP ExportTraceServiceRequest as JSON.');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DomainError('invalid', `The request body is not valid JSON: ${(error as Error).message}.`);
  }
  try {
    return decodeTraceRequestJson(json);
  } catch (error) {
    if (error instanceof JsonShapeError) {
      throw new DomainError('invalid', `The request body is not a valid OTLP ExportTraceServiceRequest (JSON): ${error.message}.`);
    }
    throw error;
  }
}

function tooLarge(limitBytes: number, what: string): DomainError {
  return new DomainError(
    'payload_too_large',
    `The ${what} is larger than ${limitBytes.toLocaleString('en')} bytes (RUNTRAIL_MAX_BODY_BYTES): export smaller batches (OTEL_BSP_MAX_EXPORT_BATCH_SIZE).`,
    { limitBytes },
  );
}
