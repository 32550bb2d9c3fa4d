// The agentws program: commander (a maintained parser with subcommands, per-command --help, option conflicts and
// `--` handling; chosen over yargs for its smaller surface and typed Option objects) wired to the command files.
// runCli parses one command line and returns the exit code, so tests run it in-process with their own Io.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerAttach } from './attach.js';
import { reportError, type Context } from './command.js';
import { registerCp } from './cp.js';
import { registerCreate } from './create.js';
import { registerDelete } from './delete.js';
import { registerExec } from './exec.js';
import { EXIT } from './exit-codes.js';
import { paint, type Io } from './io.js';
import { registerList } from './list.js';
import { registerRun } from './run.js';

/** The package's version (sdk/package.json, two levels above both src/cli and dist/cli). */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export function buildProgram(ctx: Context): Command {
  const { io } = ctx;
  const program = new Command('agentws')
    .description('Coding agents in workspaces: in Kubernetes (AgentWorkspaces), in a local directory, or on an agent server by URL.')
    .version(version(), '-V, --version')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(paint(io.stderr, 'red', s)),
      getOutHasColors: () => Boolean(io.stdout.isTTY) && !io.env.NO_COLOR,
      getErrHasColors: () => Boolean(io.stderr.isTTY) && !io.env.NO_COLOR,
    })
    .addHelpText('after', `
Workspaces not in Kubernetes are remembered in $XDG_CONFIG_HOME/agentws/workspaces.json (else ~/.config/agentws/).
Every command takes --help and --json.`);
  for (const register of [registerCreate, registerList, registerDelete, registerRun, registerAttach, registerExec, registerCp]) register(program, ctx);
  return program;
}

/** Runs one command line (without the node and script arguments); resolves with the exit code. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const ctx: Context = { io, exitCode: EXIT.ok };
  try {
    await buildProgram(ctx).parseAsync([...argv], { from: 'user' });
  } catch (err) {
    // --help and --version exit 0; every other commander error is bad usage, already printed with its hint.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return reportError(io, err, false);
  }
  return ctx.exitCode;
}
