// Our server as built from another git ref (BENCH_BASELINE=main): one more side of the same run, so a change's
// before and after are measured in the same interleaved rounds. The ref's sdk and server-image are exported with
// `git archive` into .local/bench-baseline/<commit>/ and built there by this checkout's tsc, resolving packages
// through this checkout's node_modules (so the ref must have the same dependencies).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startServer } from '../../test/support/server.js';
import { oursWithRunner, type Target } from './targets.js';

const git = (...args: string[]) => execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' }).trim();

/** Builds `ref` once per commit (kept under .local/); the sides named `ours@<ref>` and `ours+runner@<ref>`. */
export function baselineTargets(ref: string, version: string): Target[] {
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`);
  const dir = join(ROOT, '.local', 'bench-baseline', commit);
  const bin = join(dir, 'server-image', 'bin', 'agent-server.js');
  if (!existsSync(join(dir, 'server-image', 'dist', 'main.js'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git -C "$1" archive "$2" sdk server-image tsconfig.base.json package.json | tar -x -C "$3"`, 'sh', ROOT, commit, dir]);
    // Packages resolve upwards to this checkout's node_modules; the workspaces' own ones and the sdk are linked.
    mkdirSync(join(dir, 'node_modules', '@agentworkspace'), { recursive: true });
    symlinkSync('../../sdk', join(dir, 'node_modules', '@agentworkspace', 'sdk'));
    for (const pkg of ['sdk', 'server-image']) {
      if (existsSync(join(ROOT, pkg, 'node_modules'))) symlinkSync(join(ROOT, pkg, 'node_modules'), join(dir, pkg, 'node_modules'));
    }
    console.log(`building ${ref} (${commit.slice(0, 12)}) into ${dir}`);
    execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-b', join(dir, 'server-image')], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  const at = `agent-server at ${ref} (${commit.slice(0, 12)}), ${version}`;
  return [
    { name: `ours@${ref}`, start: () => startServer({ bin }), version: at },
    oursWithRunner({ name: `ours+runner@${ref}`, bin, runnerMain: join(dir, 'server-image', 'dist', 'sandbox', 'main.js'), version: `${at}, and its sandbox runner` }),
  ];
}
