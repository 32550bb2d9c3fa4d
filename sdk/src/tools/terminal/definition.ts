import { z } from 'zod';
import { observationBase } from '../observation-base.js';

/** The parameters the model fills in; the action is these plus `kind`. */
export const TerminalParamsSchema = z.strictObject({
  command: z.string().describe(
    'The bash command to execute. Can be empty string to view additional logs when previous exit code is `-1`. ' +
      'Can be `C-c` (Ctrl+C) to interrupt the currently running process (with is_input true).',
  ),
  is_input: z.boolean().default(false).describe(
    'If True, the command is an input to the running process. If False, the command is a bash command to be executed in the terminal.',
  ),
  timeout: z.number().positive().nullish().describe(
    'Optional. Sets a hard timeout in seconds for the command execution. If not provided, the command returns control after 30 seconds without new output.',
  ),
  reset: z.boolean().default(false).describe('If True, reset the terminal by creating a new session. The command is ignored.'),
});
export const TerminalActionSchema = TerminalParamsSchema.extend({ kind: z.literal('TerminalAction') });
export type TerminalAction = z.infer<typeof TerminalActionSchema>;

export const CmdOutputMetadataSchema = z.strictObject({
  exit_code: z.number().int().default(-1),
  pid: z.number().int().default(-1),
  username: z.string().nullish(),
  hostname: z.string().nullish(),
  working_dir: z.string().nullish(),
  py_interpreter_path: z.string().nullish(),
  prefix: z.string().default(''),
  suffix: z.string().default(''),
});
export type CmdOutputMetadata = z.infer<typeof CmdOutputMetadataSchema>;

export const TerminalObservationSchema = z.strictObject({
  kind: z.literal('TerminalObservation'),
  ...observationBase,
  command: z.string().nullable(),
  exit_code: z.number().int().nullish(),
  timeout: z.boolean().default(false),
  metadata: CmdOutputMetadataSchema.default(() => CmdOutputMetadataSchema.parse({})),
  full_output_save_dir: z.string().nullish(),
});
export type TerminalObservation = z.infer<typeof TerminalObservationSchema>;

export const TERMINAL_DESCRIPTION = `Execute a bash command in the terminal within a persistent shell session.

* One command at a time: chain commands with && or ;.
* Persistent session: environment variables, virtual environments and the working directory persist between commands.
* Long-running commands: run them in the background (\`cmd > out.log 2>&1 &\`). A command that prints nothing new for 30 seconds returns control with exit code -1; send an empty command to see more output, text with is_input=true to feed the process, or C-c to interrupt it.
* Output longer than the limit is truncated for you; the full output is saved to a file whose path is given.`;
