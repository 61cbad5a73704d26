import { type Logger, pino } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

/**
 * Structured JSON logs on stdout, one object per line. The `listening` line carries the bound URL
 * and the token file; the extension and the tests read it back from there.
 */
export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      name: 'runtrail-sidecar',
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['req.headers.authorization', 'password', '*.password'], censor: '***' },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
