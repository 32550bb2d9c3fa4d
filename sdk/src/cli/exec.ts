// agentws exec NAME -- CMD [ARGS…]: runs one command in the workspace (outside any conversation) with its
// arguments as given — quoted for bash -c (shell-quote), so nothing is re-split — prints its output and exits
// with its exit code; a command stopped at --timeout exits 124, as timeout(1) does.
import type { Command } from 'commander';
import { quote } from 'shell-quote';
import { act, seconds, withJson, withKubernetes, type Context, type KubernetesOptions } from './command.js';
import { EXEC_TIMEOUT_EXIT } from './exit-codes.js';
import { paint, writeJson, writeLine } from './io.js';
import type { ExecOutput } from './output.js';
import { openWorkspace } from './target.js';

interface ExecOptions extends KubernetesOptions {
  cwd?: string;
  timeout?: number;
}

export function registerExec(program: Command, ctx: Context): void {
  const cmd = withKubernetes(withJson(program.command('exec')
    .description('run a command in a workspace; exits with its exit code')
    .argument('<name>', 'the workspace')
    .argument('<command...>', 'the command and its arguments (after --); for a pipeline: -- bash -c \'a | b\'')
    .option('--cwd <dir>', 'where it runs; relative to the workspace\'s directory (default: that directory)')
    .option('--timeout <seconds>', 'stop it (its whole process group) after this long (default 300)', seconds)))
    .addHelpText('after', `
Examples:
  agentws exec demo -- ls -la
  agentws exec demo -- bash -c 'npm test 2>&1 | tail -5'`);
  act<ExecOptions>(cmd, ctx, async (o, name: string, command: string[]) => {
    const { io } = ctx;
    const target = await openWorkspace(name, o, io);
    try {
      const r = await target.workspace.execute(quote(command), { ...(o.cwd ? { cwd: o.cwd } : {}), ...(o.timeout ? { timeoutMs: Math.round(o.timeout * 1000) } : {}) });
      const timedOut = r.exitCode === -1;
      if (o.json) writeJson(io.stdout, { exitCode: timedOut ? null : r.exitCode, timedOut, stdout: r.stdout, stderr: r.stderr } satisfies ExecOutput);
      else {
        io.stdout.write(r.stdout);
        io.stderr.write(r.stderr);
        if (timedOut) writeLine(io.stderr, paint(io.stderr, 'red', `agentws: the command was stopped after ${o.timeout ?? 300} s`));
      }
      return timedOut ? EXEC_TIMEOUT_EXIT : r.exitCode;
    } finally {
      await target.workspace.close();
    }
  });
}
