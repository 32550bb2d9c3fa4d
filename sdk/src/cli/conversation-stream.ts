// How run and attach print a conversation: a header, every event as it arrives (rendered for a person, or one
// ConversationLine of JSON each), and the final status, whose exit code the command returns.
import type { Conversation } from '../conversation/conversation.js';
import type { ExecutionStatus } from '../conversation/state.js';
import type { Event } from '../events/event.js';
import { STATUS_EXIT_CODES } from './exit-codes.js';
import { paint, writeJson, writeLine, type Io } from './io.js';
import type { ConversationLine } from './output.js';
import { printEvent, renderStatus } from './render.js';

/** State snapshots (full_state, stats) repeat what the events say; only execution_status changes are streamed. */
const streamed = (e: Event): boolean =>
  typeof (e as { id?: unknown }).id === 'string' && !(e.kind === 'ConversationStateUpdateEvent' && e.key !== 'execution_status');

export class ConversationPrinter {
  constructor(private readonly io: Io, private readonly json: boolean, private readonly workspace: string) {}

  private line(line: ConversationLine): void {
    writeJson(this.io.stdout, line);
  }

  header(conversation: Conversation): void {
    if (this.json) this.line({ type: 'conversation', workspace: this.workspace, conversationId: conversation.id });
    else writeLine(this.io.stderr, paint(this.io.stderr, 'dim', `conversation ${conversation.id} in ${this.workspace}`));
  }

  event(e: Event): void {
    if (!streamed(e)) return;
    if (this.json) this.line({ type: 'event', event: e });
    else printEvent(this.io, e);
  }

  /** Prints the final status; returns its exit code. */
  end(conversation: Conversation, status: ExecutionStatus): number {
    const exitCode = STATUS_EXIT_CODES[status];
    if (this.json) this.line({ type: 'status', conversationId: conversation.id, status, exitCode });
    else writeLine(this.io.stdout, renderStatus(this.io.stdout, status, exitCode));
    return exitCode;
  }
}
