// agentws cp LOCAL NAME:PATH | NAME:PATH LOCAL: copies one file into or out of a workspace, spelled as kubectl
// cp and docker cp spell it. PATH is absolute or under the workspace's directory; a PATH or LOCAL ending in "/"
// (or an existing local directory) keeps the file's name. A local path with a colon is written ./a:b.
import { statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { act, withJson, withKubernetes, type Context, type KubernetesOptions } from './command.js';
import { CliError, UsageError } from './errors.js';
import { EXIT } from './exit-codes.js';
import { writeJson, writeLine } from './io.js';
import type { CpOutput } from './output.js';
import { openWorkspace } from './target.js';

export type Location = { workspace: string; path: string } | { local: string };

/** `NAME:PATH` is in a workspace (NAME being a workspace name); anything else is a local path. */
export function parseLocation(spec: string): Location {
  const m = /^([a-z0-9][-a-z0-9]*):(.*)$/s.exec(spec);
  if (!m) return { local: spec };
  if (!m[2]) throw new UsageError(`"${spec}": give the path in the workspace after the colon (NAME:PATH)`);
  return { workspace: m[1]!, path: m[2] };
}

function localFile(path: string): number {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`, undefined, { cause: err });
  }
  if (!st.isFile()) throw new CliError(`${path} is not a file; cp copies one file (for a directory: tar it, cp the archive, and exec tar)`);
  return st.size;
}

const isDirectory = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

export function registerCp(program: Command, ctx: Context): void {
  const cmd = withKubernetes(withJson(program.command('cp')
    .description('copy a file into a workspace (LOCAL NAME:PATH) or out of it (NAME:PATH LOCAL)')
    .argument('<source>', 'LOCAL or NAME:PATH')
    .argument('<destination>', 'NAME:PATH or LOCAL')))
    .addHelpText('after', `
Examples:
  agentws cp ./notes.md demo:notes.md            # into demo's working directory
  agentws cp demo:/workspace/report.txt ./out/`);
  act<KubernetesOptions>(cmd, ctx, async (o, source: string, destination: string) => {
    const { io } = ctx;
    const from = parseLocation(source);
    const to = parseLocation(destination);
    if ('workspace' in from === 'workspace' in to) throw new UsageError('one of source and destination is NAME:PATH, the other a local path');
    const name = 'workspace' in from ? from.workspace : (to as { workspace: string }).workspace;
    let out: CpOutput;
    if ('local' in from && 'workspace' in to) {
      const local = resolve(io.cwd, from.local);
      const bytes = localFile(local);
      const remote = to.path.endsWith('/') ? `${to.path}${basename(local)}` : to.path;
      const target = await openWorkspace(name, o, io);
      try {
        await target.workspace.upload(local, remote);
      } finally {
        await target.workspace.close();
      }
      out = { direction: 'upload', workspace: name, local, remote, bytes };
    } else {
      const { path: remote } = from as { path: string };
      const given = resolve(io.cwd, (to as { local: string }).local);
      const local = (to as { local: string }).local.endsWith('/') || isDirectory(given) ? join(given, basename(remote)) : given;
      const target = await openWorkspace(name, o, io);
      try {
        await target.workspace.download(remote, local);
      } finally {
        await target.workspace.close();
      }
      out = { direction: 'download', workspace: name, local, remote, bytes: localFile(local) };
    }
    if (o.json) writeJson(io.stdout, out);
    else writeLine(io.stdout, out.direction === 'upload' ? `${out.local} → ${name}:${out.remote} (${out.bytes} bytes)` : `${name}:${out.remote} → ${out.local} (${out.bytes} bytes)`);
    return EXIT.ok;
  });
}
