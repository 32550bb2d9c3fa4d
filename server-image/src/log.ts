// Logging: pino JSON lines on stdout. The only module that imports pino.
//
// Session keys never reach a log line: request logs carry no headers, URLs have their
// `session_api_key` query value replaced, and the redact list covers any object that slips through.
import { randomBytes } from 'node:crypto';
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

const REDACT_PATHS = [
  'req.headers["x-session-api-key"]', 'req.headers.authorization', 'req.headers.cookie',
  'headers["x-session-api-key"]', 'headers.authorization', 'headers.cookie',
  'session_api_key', '*.session_api_key', 'sessionApiKeys', '*.sessionApiKeys', 'apiKey', '*.apiKey',
];

/** Creates the process logger. `destination` is for tests; production writes to stdout. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { service: 'agent-server' },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

const SECRET_QUERY = /([?&](?:session_api_key|api_key|token)=)[^&#]*/gi;

/** The URL with any key-bearing query value replaced, fit for logs. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[REDACTED]');
}

const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The client's X-Request-Id when it is a sane token, else a fresh random id. */
export function requestId(incoming: string | string[] | undefined): string {
  if (typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming)) return incoming;
  return randomBytes(8).toString('hex');
}
