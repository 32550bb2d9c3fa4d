// agentws delete NAME: a config file entry is forgotten (the directory or the server stays), a Docker one with its
// container and key file; an AgentWorkspace is deleted, whatever its state (its pod, Service, Secret and
// Delete-policy volume go with it), and, as kubectl delete does, the command returns once it is gone (--no-wait:
// once the deletion is accepted), so the name can be used again at once.
import { rmSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig, saveConfig } from './config.js';
import { act, withJson, withKubernetes, type Context, type KubernetesOptions } from './command.js';
import { EXIT } from './exit-codes.js';
import { writeJson, writeLine } from './io.js';
import type { DeleteOutput } from './output.js';
import { checkName, docker, hasKubeconfig, kubernetes, noSuchWorkspace } from './target.js';

export function registerDelete(program: Command, ctx: Context): void {
  const cmd = withKubernetes(withJson(program.command('delete').alias('rm')
    .description('delete a Kubernetes or Docker workspace, or forget a local or URL one (its directory or server stays)')
    .argument('<name>', 'the workspace')
    .option('--no-wait', 'return once the deletion is accepted, not once the AgentWorkspace and its pod are gone')));
  act<KubernetesOptions & { wait: boolean }>(cmd, ctx, async (o, name: string) => {
    const { io } = ctx;
    checkName(name);
    const config = loadConfig(io.env);
    const entry = config.workspaces[name];
    let out: DeleteOutput;
    if (entry) {
      if (entry.kind === 'docker') {
        const { DockerWorkspace } = await docker();
        await DockerWorkspace.remove(entry.containerId);
        rmSync(entry.keyFile, { force: true });
      }
      delete config.workspaces[name];
      saveConfig(io.env, config);
      out = { name, kind: entry.kind, deleted: entry.kind === 'docker' };
    } else {
      if (!hasKubeconfig(o, io.env)) throw noSuchWorkspace(name, o, io.env, false);
      const { KubernetesWorkspace } = await kubernetes();
      if (!(await KubernetesWorkspace.delete({ name, namespace: o.namespace, kubeconfig: o.kubeconfig, wait: o.wait }))) throw noSuchWorkspace(name, o, io.env, true);
      out = { name, kind: 'kubernetes', deleted: true };
    }
    if (o.json) writeJson(io.stdout, out);
    else writeLine(io.stdout, out.deleted ? `deleted ${name}` : `forgot ${name} (${entry?.kind === 'local' ? 'the directory' : 'the server'} is untouched)`);
    return EXIT.ok;
  });
}
