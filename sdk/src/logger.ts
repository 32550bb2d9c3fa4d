/**
 * The logging seam: pino's call shape (`logger.info({ fields }, 'message')`), so a pino logger can be passed as is.
 * The SDK never logs secrets: conversations wrap the given logger with their secret masker.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
