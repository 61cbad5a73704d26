import { z } from 'zod';
import { Id } from './runs';

/**
 * Server-Sent Events of `GET /api/events` (DESIGN.md "Relay"). Every event has an `id:` line (a
 * Redis stream id, `<ms>-<seq>`) that a client sends back as `Last-Event-ID` to resume.
 *
 * - `node`: a committed node upsert, as reported (payloads `input`, `output`, `attributes` left
 *   out: fetch `GET /api/nodes/:id` for them).
 * - `run`: a run created, finished or deleted (`deleted: true`).
 * - `reset`: events since your Last-Event-ID are no longer retained: reload, then keep listening.
 * - `paused` / `resumed`: live updates stopped (Redis unreachable) / flow again, without gaps.
 * Comment lines (`: heartbeat`) keep proxies from closing an idle stream.
 */
export const EventsQuery = z.strictObject({
  runId: Id.optional(),
  /** For clients that cannot set the Last-Event-ID header; the header wins. */
  lastEventId: z.string().max(40).optional(),
});

export const NodeEventData = z.looseObject({ runId: z.string(), id: z.string() });
export const RunEventData = z.looseObject({ id: z.string() });
