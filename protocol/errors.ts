import { z } from 'zod';

/**
 * Machine-readable error codes in every error body. HTTP status is derived from the code by the
 * sidecar (sidecar/http/errorHandler.ts), so clients branch on `code`, never on message text.
 */
export const ErrorCode = z.enum([
  'invalid',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'conflict',
  'unprocessable',
  /** runtrail.json is unreadable or invalid; the message names the file, the workflow and the field (422). */
  'invalid_config',
  'payload_too_large',
  'unsupported_media_type',
  'unavailable',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** The body of every non-2xx answer from the REST API (health reports add their own fields). */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
