/** The only file that imports pino: JSON logs on stdout, secrets redacted. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { controller: 'agentworkspace' },
    redact: { paths: ['*.token', '*.apiKey', '*.sessionApiKey', '*.stringData', '*.data', 'headers.authorization'], censor: '[redacted]' },
  });
}
