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

const SECRET_QUERY_NAMES = new Set(['session_api_key', 'api_key', 'token']);

/** A query parameter's name as URLSearchParams (and so the WebSocket handshake) reads it: `session%5Fapi%5Fkey` is `session_api_key`. */
function decodedName(part: string): string {
  const name = part.split('=', 1)[0] as string;
  return (new URLSearchParams(`${name}=`).keys().next().value ?? name).toLowerCase();
}

/** The URL with any key-bearing query value replaced, fit for logs; parameter names are compared decoded. */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const hash = url.indexOf('#', at);
  const query = url.slice(at + 1, hash < 0 ? undefined : hash);
  const redacted = query.split('&').map((part) => {
    if (!SECRET_QUERY_NAMES.has(decodedName(part))) return part;
    return `${part.split('=', 1)[0] as string}=[REDACTED]`;
  });
  return `${url.slice(0, at + 1)}${redacted.join('&')}${hash < 0 ? '' : url.slice(hash)}`;
}

const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The client's X-Request-Id when it is a sane token, else a fresh random id. */
export function requestId(incoming: string | string[] | undefined): string {
  if (typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming)) return incoming;
  return randomBytes(8).toString('hex');
}
