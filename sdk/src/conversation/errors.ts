import { AgentWorkspaceError } from '../errors.js';

/** A call that the conversation's status does not allow, e.g. `confirm` when nothing waits, or an invalid message. */
export class ConversationStateError extends AgentWorkspaceError {
  override readonly name: string = 'ConversationStateError';
}

/** `LocalConversation.open` (or `remove`) of an id that has no conversation in the persistence directory. */
export class ConversationNotFoundError extends ConversationStateError {
  override readonly name = 'ConversationNotFoundError';
}

/** `LocalConversation.create` (or `fork`) with the id of a conversation that is already persisted there. */
export class ConversationExistsError extends ConversationStateError {
  override readonly name = 'ConversationExistsError';
}

/** An event id the conversation does not have (e.g. the cut of a `fork`). */
export class EventNotFoundError extends ConversationStateError {
  override readonly name = 'EventNotFoundError';
}
