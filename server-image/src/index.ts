// The agent server's extension surface (README "Logs, shutdown, extension"): what a feature needs to add routers,
// sockets and shutdown steps without editing the core. main.ts, not this file, is the package's entry point.
export { createApp, type AppDeps } from './http/app.js';
export { ApiError, STATUS_BY_CODE, toApiError, type ErrorCode } from './http/errors.js';
export {
  DomainError, NotFoundError, ConflictError, InvalidRequestError, ForbiddenError, TooLargeError, UnavailableError, ValidationError,
  OperationFailedError, type ValidationIssue,
} from './errors.js';
export { parseOrThrow } from './validation.js';
export { keyMatches, requireSessionKey, SESSION_KEY_HEADER } from './http/auth.js';
export { handshakeAuth, awaitFirstFrameAuth, isAuthControlMessage, CLOSE_AUTH_FAILED } from './ws/auth.js';
export { SocketDispatcher, type SocketHandler, type SocketContext } from './ws/dispatcher.js';
export { PathPolicy } from './files/paths.js';
export { ServerState } from './server-state.js';
export { loadConfig, ConfigError, type Config } from './config.js';
export { startServer, main, type RunningServer, type ServerExtensions } from './main.js';
