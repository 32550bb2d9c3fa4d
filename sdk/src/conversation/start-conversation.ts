// The one call that knows nothing of where the agent runs: a LocalWorkspace gets a LocalConversation in
// this process, any other workspace (a RemoteWorkspace, or the Kubernetes and Docker ones built on it) a
// RemoteConversation on its agent server.
import type { AgentSpecInput } from '../agent/agent-spec.js';
import { RemoteConversation, type RemoteClientOptions } from '../remote/remote-conversation.js';
import { LocalWorkspace } from '../workspace/local-workspace.js';
import type { RemoteWorkspace } from '../workspace/remote-workspace.js';
import type { Conversation } from './conversation.js';
import { ConversationStateError } from './errors.js';
import { LocalConversation, type LocalConversationOptions } from './local-conversation.js';

/**
 * `LocalConversation.create`'s options with a workspace object, plus the remote client's. Local only (ignored
 * remotely, where the server persists and builds the LLM): `persistence_dir`, `llmFactory`, `toolEnvironment`.
 * Remote only (ignored locally): `reconnect`, `readyTimeoutMs`, `WebSocket`.
 */
export interface StartConversationOptions extends Omit<LocalConversationOptions, 'workspace'>, Omit<RemoteClientOptions, 'logger' | 'onStreamingDelta'> {
  workspace: LocalWorkspace | RemoteWorkspace;
}

export interface ResumeConversationOptions extends Omit<StartConversationOptions, 'agent' | 'conversation_id'> {
  conversationId: string;
  /** Locally: the agent to continue with (its API key is never stored). Remotely the server keeps the agent; ignored. */
  agent?: AgentSpecInput;
}

/** Starts a conversation in `workspace`. */
export async function startConversation(options: StartConversationOptions): Promise<Conversation> {
  const { workspace, ...rest } = options;
  if (workspace instanceof LocalWorkspace) return LocalConversation.create({ ...rest, workspace: workspace.workingDir });
  // The local-only options ride along unread: RemoteConversation takes what it knows.
  return RemoteConversation.create({ ...rest, workspace });
}

/**
 * Reopens a conversation with every event: locally from `persistence_dir` (required there), remotely from the
 * workspace's server (after a client or a server restart). A run that a crash cut short comes back as `error`.
 */
export async function resumeConversation(options: ResumeConversationOptions): Promise<Conversation> {
  const { workspace, conversationId, ...rest } = options;
  if (workspace instanceof LocalWorkspace) {
    if (!rest.persistence_dir) throw new ConversationStateError('resumeConversation with a LocalWorkspace needs persistence_dir (where the conversation was persisted)');
    return LocalConversation.open({ ...rest, persistence_dir: rest.persistence_dir, conversation_id: conversationId });
  }
  return RemoteConversation.open({ ...rest, workspace, conversation_id: conversationId });
}
