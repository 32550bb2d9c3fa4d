// agentws list: the workspaces of the config file and, when there is a kubeconfig, the AgentWorkspaces of the
// namespace with their Ready reason.
import type { Command } from 'commander';
import { loadConfig } from './config.js';
import { act, withJson, withKubernetes, type Context, type KubernetesOptions } from './command.js';
import { EXIT } from './exit-codes.js';
import { paint, writeJson, writeLine, type Io } from './io.js';
import type { ListOutput } from './output.js';
import { hasKubeconfig, kubernetes } from './target.js';

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
    const rows: Row[] = Object.entries(loadConfig(ctx.io.env).workspaces).map(([name, e]) =>
      e.kind === 'local' ? { name, kind: 'local', dir: e.dir, status: 'configured' } : { name, kind: 'url', url: e.url, status: 'configured' });
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
