import { z } from 'zod';
import { observationBase } from '../observation-base.js';

export const FileEditorCommandSchema = z.enum(['view', 'create', 'str_replace', 'insert', 'undo_edit']);
export type FileEditorCommand = z.infer<typeof FileEditorCommandSchema>;

export const FileEditorParamsSchema = z.strictObject({
  command: FileEditorCommandSchema.describe(
    'The commands to run. Allowed options are: `view`, `create`, `str_replace`, `insert`, `undo_edit`.',
  ),
  path: z.string().describe('Absolute path to file or directory, e.g. `/workspace/file.py` or `/workspace`.'),
  file_text: z.string().nullish().describe('Required parameter of `create` command, with the content of the file to be created.'),
  old_str: z.string().nullish().describe('Required parameter of `str_replace` command containing the string in `path` to replace.'),
  new_str: z.string().nullish().describe(
    'Optional parameter of `str_replace` command containing the new string (if not given, no string will be added). Required parameter of `insert` command containing the string to insert.',
  ),
  insert_line: z.number().int().min(0).nullish().describe(
    'Required parameter of `insert` command. The `new_str` will be inserted AFTER the line `insert_line` of `path`.',
  ),
  view_range: z.array(z.number().int()).nullish().describe(
    'Optional parameter of `view` command when `path` points to a file. If none is given, the full file is shown. If provided, the file will be shown in the indicated line number range, e.g. [11, 12] will show lines 11 and 12. Indexing at 1 to start. Setting `[start_line, -1]` shows all lines from `start_line` to the end of the file.',
  ),
});
export const FileEditorActionSchema = FileEditorParamsSchema.extend({ kind: z.literal('FileEditorAction') });
export type FileEditorAction = z.infer<typeof FileEditorActionSchema>;

export const FileEditorObservationSchema = z.strictObject({
  kind: z.literal('FileEditorObservation'),
  ...observationBase,
  command: FileEditorCommandSchema,
  path: z.string().nullish(),
  prev_exist: z.boolean().default(true),
  old_content: z.string().nullish(),
  new_content: z.string().nullish(),
});
export type FileEditorObservation = z.infer<typeof FileEditorObservationSchema>;

export const FILE_EDITOR_DESCRIPTION = `Custom editing tool for viewing, creating and editing files in plain-text format.
* State is persistent across command calls and discussions with the user.
* If \`path\` is a file, \`view\` displays the result of applying \`cat -n\`. If \`path\` is a directory, \`view\` lists non-hidden files and directories up to 2 levels deep.
* The \`create\` command cannot be used if the specified \`path\` already exists as a file.
* The \`undo_edit\` command will revert the last edit made to the file at \`path\`.
* The \`old_str\` parameter should match EXACTLY one or more consecutive lines from the original file; if it is not unique in the file, the replacement will not be performed.
* Paths must be absolute.`;
