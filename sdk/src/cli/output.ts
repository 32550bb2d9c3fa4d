// What `--json` prints, one zod schema per command: a single JSON document, or JSON lines for the streaming
// commands (run, attach). The commands build their output as these types; the tests parse it with them.
import { z } from 'zod';
import { ExecutionStatusSchema } from '../conversation/state.js';
import { EventSchema } from '../events/event.js';

const Kind = z.enum(['kubernetes', 'local', 'url', 'docker']);

/** Where a workspace is: a namespace, a directory, or a URL. */
const WorkspaceSummary = {
  name: z.string(),
  kind: Kind,
  namespace: z.string().optional(),
  dir: z.string().optional(),
  url: z.string().optional(),
};

export const CreateOutputSchema = z.strictObject({
  ...WorkspaceSummary,
  /** The file holding the session key (url and docker workspaces). */
  keyFile: z.string().optional(),
  /** docker: the container and its image. */
  containerId: z.string().optional(),
  image: z.string().optional(),
});
export type CreateOutput = z.infer<typeof CreateOutputSchema>;

export const ListOutputSchema = z.strictObject({
  workspaces: z.array(z.strictObject({
    ...WorkspaceSummary,
    /** Kubernetes: the Ready condition's reason (Running, Starting…) or Pending; docker: the container's state (running, exited…, or gone); others: configured. */
    status: z.string(),
    /** Kubernetes: the condition's message. */
    message: z.string().optional(),
  })),
});
export type ListOutput = z.infer<typeof ListOutputSchema>;

export const DeleteOutputSchema = z.strictObject({
  name: z.string(),
  kind: Kind,
  /** kubernetes and docker: the AgentWorkspace or the container was deleted; local and url: only forgotten (the directory or server stays). */
  deleted: z.boolean(),
});
export type DeleteOutput = z.infer<typeof DeleteOutputSchema>;

export const ExecOutputSchema = z.strictObject({
  /** The command's exit code (the process exits with it too); null when it was stopped at its timeout. */
  exitCode: z.number().int().nullable(),
  timedOut: z.boolean(),
  stdout: z.string(),
  stderr: z.string(),
});
export type ExecOutput = z.infer<typeof ExecOutputSchema>;

export const CpOutputSchema = z.strictObject({
  direction: z.enum(['upload', 'download']),
  workspace: z.string(),
  /** The local file (absolute). */
  local: z.string(),
  /** The path in the workspace, as given (relative paths are under its working directory). */
  remote: z.string(),
  bytes: z.number().int().nonnegative(),
});
export type CpOutput = z.infer<typeof CpOutputSchema>;

/** An event as the SDK parses it, or one of a kind it does not know (the Python server adds some) as sent. */
const StreamedEvent = z.union([EventSchema, z.looseObject({ kind: z.string(), id: z.string(), timestamp: z.string() })]);

/** One line of `run --json` and `attach --json`: the conversation, then its events, then the final status. */
export const ConversationLineSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('conversation'), workspace: z.string(), conversationId: z.string() }),
  z.strictObject({ type: z.literal('event'), event: StreamedEvent }),
  z.strictObject({ type: z.literal('status'), conversationId: z.string(), status: ExecutionStatusSchema, exitCode: z.number().int() }),
]);
export type ConversationLine = z.infer<typeof ConversationLineSchema>;

/** Any command with --json that failed: this on stdout (and the message on stderr). */
export const ErrorOutputSchema = z.strictObject({
  error: z.strictObject({ name: z.string(), message: z.string(), exitCode: z.number().int() }),
});
export type ErrorOutput = z.infer<typeof ErrorOutputSchema>;
