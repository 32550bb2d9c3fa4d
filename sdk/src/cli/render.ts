// A conversation's events as a person reads them: messages, each command with its output, each file edit as a
// unified diff (jsdiff's structuredPatch), errors in red, the final status. Events that carry nothing to read
// (the system prompt, state snapshots, condensations) are left out; --json prints everything instead.
import { structuredPatch } from 'diff';
import type { ExecutionStatus } from '../conversation/state.js';
import { contentText } from '../events/content.js';
import type { Event } from '../events/event.js';
import type { FileEditorObservation } from '../tools/file-editor/definition.js';
import { paint, writeLine, type Io } from './io.js';

type Out = Io['stdout'];

const indent = (text: string, prefix = '  '): string => text.replace(/\n$/, '').split('\n').map((l) => prefix + l).join('\n');

/** A file edit's diff, coloured on a terminal; '' when the observation carries no contents (a view). */
export function renderDiff(out: Out, o: Pick<FileEditorObservation, 'path' | 'old_content' | 'new_content' | 'prev_exist'>): string {
  if (o.new_content === undefined || o.new_content === null) return '';
  const path = o.path ?? '(file)';
  const before = o.prev_exist ? (o.old_content ?? '') : '';
  const patch = structuredPatch(o.prev_exist ? path : '/dev/null', path, before, o.new_content, '', '', { context: 3 });
  const lines = [paint(out, 'bold', `--- ${patch.oldFileName}`), paint(out, 'bold', `+++ ${patch.newFileName}`)];
  for (const h of patch.hunks) {
    lines.push(paint(out, 'cyan', `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`));
    for (const l of h.lines) lines.push(l.startsWith('+') ? paint(out, 'green', l) : l.startsWith('-') ? paint(out, 'red', l) : l);
  }
  return lines.join('\n');
}

/** The text of one event for a person, or undefined for events that are not shown. */
export function renderEvent(out: Out, event: Event): string | undefined {
  switch (event.kind) {
    case 'MessageEvent': {
      const text = contentText(event.llm_message.content);
      return event.source === 'user' ? `${paint(out, ['bold', 'blue'], 'user')}  ${text}` : `${paint(out, ['bold', 'magenta'], 'agent')} ${text}`;
    }
    case 'ActionEvent': {
      const parts: string[] = [];
      const thought = contentText(event.thought);
      if (thought) parts.push(paint(out, 'dim', indent(thought, '│ ')));
      const a = event.action;
      if (!a) parts.push(paint(out, 'dim', `→ ${event.tool_name}`));
      else if (a.kind === 'TerminalAction') parts.push(paint(out, ['bold', 'cyan'], `$ ${a.is_input ? `(input) ${a.command}` : a.command}`));
      else if (a.kind === 'FileEditorAction') parts.push(paint(out, 'cyan', `✎ ${a.command} ${a.path}`));
      else if (a.kind === 'FinishAction') parts.push(`${paint(out, ['bold', 'magenta'], 'agent')} ${a.message}`);
      else if (a.kind === 'ThinkAction') parts.push(paint(out, 'dim', indent(a.thought, '│ ')));
      else if (a.kind === 'TaskTrackerAction') parts.push(paint(out, 'cyan', `☐ tasks: ${a.command}`));
      return parts.join('\n') || undefined;
    }
    case 'ObservationEvent': {
      const o = event.observation;
      if (o.kind === 'FinishObservation' || o.kind === 'ThinkObservation') return undefined;
      if (o.kind === 'FileEditorObservation' && !o.is_error) {
        if (o.command === 'view') return undefined;
        return renderDiff(out, o) || indent(contentText(o.content));
      }
      // A terminal's output ends with its exit code, as the model reads it.
      const body = indent(contentText(o.content));
      const failed = o.is_error || (o.kind === 'TerminalObservation' && typeof o.exit_code === 'number' && o.exit_code > 0);
      return failed ? paint(out, 'red', body) : body;
    }
    case 'AgentErrorEvent': return paint(out, 'red', `✗ ${event.tool_name}: ${event.error}`);
    case 'ConversationErrorEvent': return paint(out, ['bold', 'red'], `✗ ${event.code}: ${event.detail}`);
    case 'UserRejectObservation': return paint(out, 'yellow', `rejected ${event.tool_name}: ${event.rejection_reason}`);
    case 'PauseEvent': return paint(out, 'yellow', 'paused');
    case 'InterruptEvent': return paint(out, 'yellow', 'interrupted');
    default: return undefined;
  }
}

/** The closing line of a run. */
export function renderStatus(out: Out, status: ExecutionStatus, exitCode: number): string {
  const colour = status === 'finished' ? 'green' : status === 'error' || status === 'stuck' ? 'red' : 'yellow';
  return paint(out, ['bold', colour], `── ${status}`) + paint(out, 'dim', ` (exit ${exitCode})`);
}

export function printEvent(io: Io, event: Event): void {
  const text = renderEvent(io.stdout, event);
  if (text !== undefined) writeLine(io.stdout, text);
}
