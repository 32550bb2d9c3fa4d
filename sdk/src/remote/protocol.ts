// The response shapes the remote client reads from an agent server (openhands-protocol.md §3), one zod schema
// per contract. Loose objects: a server may add fields (the Python server does with every release), and the
// client reads only what it names here. Events themselves are parsed with the SDK's event schemas
// (remote/wire-event.ts).
import { z } from 'zod';
import { ExecutionStatusSchema } from '../conversation/state.js';

/** `{"success": true}`. */
export const SuccessSchema = z.looseObject({ success: z.boolean() });

/** `ConversationInfo`: the fields the client acts on. */
export const ConversationInfoSchema = z.looseObject({
  id: z.string(),
  execution_status: ExecutionStatusSchema,
});
export type ConversationInfo = z.infer<typeof ConversationInfoSchema>;

/** One page of `GET /api/conversations/{id}/events/search`; items are checked one by one (wire-event.ts). */
export const EventPageSchema = z.object({
  items: z.array(z.unknown()),
  next_page_id: z.string().nullish(),
});

/** `BashCommand`, the answer of `POST /api/bash/start_bash_command`. */
export const BashCommandSchema = z.looseObject({ kind: z.literal('BashCommand'), id: z.string() });

/** `BashOutput`: one chunk of a command's output; the last carries `exit_code`. */
export const BashOutputSchema = z.looseObject({
  kind: z.literal('BashOutput'),
  id: z.string(),
  order: z.number(),
  exit_code: z.number().nullish(),
  stdout: z.string().nullish(),
  stderr: z.string().nullish(),
});

export const BashOutputPageSchema = z.object({
  items: z.array(BashOutputSchema),
  next_page_id: z.string().nullish(),
});

/** `GET /api/git/changes`. */
export const GitChangeSchema = z.object({
  status: z.enum(['MOVED', 'ADDED', 'DELETED', 'UPDATED']),
  path: z.string(),
});
export type GitChange = z.infer<typeof GitChangeSchema>;

/** `GET /api/git/diff`: a file's text before (`original`) and now (`modified`); null where it does not exist. */
export const GitDiffSchema = z.object({
  modified: z.string().nullable(),
  original: z.string().nullable(),
});
export type GitDiff = z.infer<typeof GitDiffSchema>;
