/**
 * The one base class of every error this SDK throws on purpose: the core's (`AgentSpecError`, `LLMError`,
 * `ConversationStateError`, `PersistenceError`, the git errors) and the remote client's (`remote/errors.ts`).
 * `catch (e) { if (e instanceof AgentWorkspaceError) … }` separates them from bugs; subclasses are matched by
 * class, never by message.
 */
export class AgentWorkspaceError extends Error {
  override readonly name: string = 'AgentWorkspaceError';
}
