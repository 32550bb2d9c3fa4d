/**
 * @agentworkspace/sdk/remote — the client side without Node built-ins (bundles for browsers): the remote
 * workspace and conversation, and the SDK's error classes. `@agentworkspace/sdk` re-exports all of it, with a
 * RemoteWorkspace that also reads and writes local paths.
 */
export { AgentWorkspaceError } from './errors.js';
export {
  APIError, AuthenticationError, BadRequestError, ConflictError, ConnectionError, NotFoundError, ServerError, TimeoutError,
  WorkspaceStartError, errorFromResponse,
} from './remote/errors.js';
export { HttpClient, SESSION_KEY_HEADER } from './remote/http-client.js';
export type { HttpClientOptions, RequestOptions } from './remote/http-client.js';
export type { ReconnectOptions } from './remote/events-socket.js';
export { RemoteConversation } from './remote/remote-conversation.js';
export type {
  CreateRemoteConversationOptions, OpenRemoteConversationOptions, RemoteClientOptions, RemoteEndpoint,
} from './remote/remote-conversation.js';
export { GitChangeSchema, GitDiffSchema, ConversationInfoSchema } from './remote/protocol.js';
export type { GitChange, GitDiff, ConversationInfo } from './remote/protocol.js';
export { RemoteWorkspace } from './workspace/remote-workspace.js';
export type { RemoteWorkspaceOptions } from './workspace/remote-workspace.js';
export type { Workspace, ExecuteOptions, ExecuteResult, LocalFiles } from './workspace/workspace.js';
