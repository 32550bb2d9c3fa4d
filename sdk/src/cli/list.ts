// agentws list: the workspaces of the config file (Docker ones with their container's state) and, when there is a
// kubeconfig, the AgentWorkspaces of the namespace with their Ready reason.
import type { Command } from 'commander';
import { loadConfig } from './config.js';
import { act, withJson, withKubernetes, type Context, type KubernetesOptions } from './command.js';
import { EXIT } from './exit-codes.js';
import { paint, writeJson, writeLine, type Io } from './io.js';
import type { ListOutput } from './output.js';
import { docker, hasKubeconfig, kubernetes } from './target.js';

type Row = ListOutput['workspaces'][number];

function printTable(io: Io, rows: Row[]): void {
  if (rows.length === 0) {
    writeLine(io.stderr, 'no workspaces; make one with agentws create');
    return;
  }
  const cells = rows.map((r) => [r.name, r.kind, r.namespace ? `namespace ${r.namespace}` : (r.dir ?? r.url ?? ''), r.status]);
  const header = ['NAME', 'KIND', 'WHERE', 'STATUS'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const format = (c: string[]) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  writeLine(io.stdout, paint(io.stdout, 'bold', format(header)));
  for (const c of cells) writeLine(io.stdout, format(c));
}

export function registerList(program: Command, ctx: Context): void {
  const cmd = withKubernetes(withJson(program.command('list').alias('ls')
    .description('list the workspaces: those in the config file, and the AgentWorkspaces of the namespace when there is a kubeconfig')));
  act<KubernetesOptions>(cmd, ctx, async (o) => {
    const rows: Row[] = [];
    for (const [name, e] of Object.entries(loadConfig(ctx.io.env).workspaces)) {
      if (e.kind === 'local') rows.push({ name, kind: 'local', dir: e.dir, status: 'configured' });
      else if (e.kind === 'url') rows.push({ name, kind: 'url', url: e.url, status: 'configured' });
      else rows.push({ name, kind: 'docker', url: e.url, status: (await (await docker()).DockerWorkspace.state(e.containerId)) ?? 'gone' });
    }
    if (hasKubeconfig(o, ctx.io.env)) {
      const { KubernetesWorkspace } = await kubernetes();
      for (const w of await KubernetesWorkspace.list({ namespace: o.namespace, kubeconfig: o.kubeconfig })) {
        rows.push({
          name: w.name, kind: 'kubernetes', namespace: w.namespace, status: w.ready?.reason ?? 'Pending',
          ...(w.clusterUrl ? { url: w.clusterUrl } : {}), ...(w.ready?.message ? { message: w.ready.message } : {}),
        });
      }
    }
    if (o.json) writeJson(ctx.io.stdout, { workspaces: rows } satisfies ListOutput);
    else printTable(ctx.io, rows);
    return EXIT.ok;
  });
}
