import { text } from '../../events/content.js';
import type { Tool, ToolRuntime } from '../tool.js';
import { TERMINAL_DESCRIPTION, TerminalParamsSchema, type TerminalAction, type TerminalObservation } from './definition.js';
import { ShellSession, type CommandResult } from './shell-session.js';

/**
 * `terminal`: one persistent shell per conversation. Params: `no_change_timeout_seconds` (30), `max_output_chars`
 * (30 000).
 */
export function createTerminalTool(runtime: ToolRuntime, params: Record<string, unknown> = {}): Tool<TerminalAction> {
  const noChange = typeof params.no_change_timeout_seconds === 'number' ? params.no_change_timeout_seconds : 30;
  const maxChars = typeof params.max_output_chars === 'number' ? params.max_output_chars : 30_000;
  // As OpenHands: `<conversation dir>/observations`, reported on every observation of a persisted conversation.
  const saveDir = `${runtime.dataDir}/observations`;
  const reportedSaveDir = runtime.persistent ? saveDir : null;
  const shell = new ShellSession({ cwd: runtime.workingDir, env: runtime.env, ...(runtime.baseEnv ? { baseEnv: runtime.baseEnv } : {}), ...(runtime.launcher ? { launcher: runtime.launcher } : {}), noChangeTimeoutMs: noChange * 1000, maxOutputChars: maxChars, saveDir });
  const { username, hostname } = ShellSession.identity();

  const observe = (command: string, r: CommandResult): TerminalObservation => {
    const python = r.pythonPath ? `[Python interpreter: ${r.pythonPath}]\n` : '';
    const suffix = r.note ?? `[Current working directory: ${r.workingDir}]\n${python}[Command finished with exit code ${r.exitCode}]`;
    const out = r.output.replace(/\n$/, '');
    const body = out ? `${out}\n${suffix}` : suffix;
    return {
      kind: 'TerminalObservation',
      command,
      exit_code: r.exitCode,
      timeout: r.timedOut,
      is_error: false,
      content: [text(body)],
      full_output_save_dir: reportedSaveDir,
      metadata: { exit_code: r.exitCode, pid: r.pid, username, hostname, working_dir: r.workingDir, py_interpreter_path: r.pythonPath, prefix: '', suffix: r.note ? `\n${r.note}` : '' },
    };
  };
  const fail = (command: string, message: string): TerminalObservation => ({
    kind: 'TerminalObservation', command, exit_code: null, timeout: false, is_error: true, content: [text(message)], full_output_save_dir: null,
    metadata: { exit_code: -1, pid: shell.pid, username, hostname, working_dir: null, py_interpreter_path: null, prefix: '', suffix: '' },
  });

  return {
    name: 'terminal',
    className: 'TerminalTool',
    description: TERMINAL_DESCRIPTION,
    params: TerminalParamsSchema,
    actionKind: 'TerminalAction',
    observationKind: 'TerminalObservation',
    annotations: { title: 'terminal', readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    async execute(action, signal) {
      const timeoutMs = action.timeout != null ? action.timeout * 1000 : null;
      const opts = { timeoutMs, signal };
      if (action.reset) {
        await shell.reset();
        return { ...fail(action.command, ''), is_error: false, content: [text('Terminal session has been reset. All previous environment variables and session state have been cleared.')] };
      }
      if (action.is_input) {
        if (!shell.isRunning) return fail(action.command, 'ERROR: No previous running command to interact with.');
        const key = action.command.trim();
        if (key === 'C-c') return observe(action.command, await shell.interrupt(opts));
        if (/^C-[a-z]$/i.test(key)) {
          return fail(action.command, `ERROR: the key ${key} is not supported by this terminal; send C-c to interrupt the running command.`);
        }
        return observe(action.command, await shell.sendInput(action.command, opts));
      }
      if (shell.isRunning) {
        if (action.command.trim() === '') return observe(action.command, await shell.readMore(opts));
        return fail(
          action.command,
          `ERROR: Cannot execute "${action.command}": the previous command is still running. Send an empty command to see more of its output, text with is_input=true to feed it, or C-c with is_input=true to interrupt it.`,
        );
      }
      if (action.command.trim() === '') return fail(action.command, 'ERROR: No previous running command to retrieve logs from.');
      return observe(action.command, await shell.execute(action.command, opts));
    },
    close: () => shell.close(),
  };
}
