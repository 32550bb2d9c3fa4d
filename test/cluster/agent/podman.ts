// The node agent's only way to touch containers: the podman CLI, configured by CONTAINERS_CONF
// (test/cluster/containers.conf), which the agent's environment carries.
import { execFile } from 'node:child_process';

/** Labels on the podman pods and containers the agent creates: how it finds them again (after a restart too). */
export const NODE_LABEL = 'agentworkspace.node';
export const POD_UID_LABEL = 'agentworkspace.pod-uid';
export const CONTAINER_LABEL = 'agentworkspace.container';

export class PodmanError extends Error {
  constructor(
    readonly subcommand: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`podman ${subcommand} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim().slice(0, 500)}`);
    this.name = 'PodmanError';
  }
}

/** Runs podman; resolves with stdout, rejects with a PodmanError. Arguments never go to logs (env values do). */
export function podman(args: readonly string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('podman', args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const code = typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null;
        reject(new PodmanError(args[0] ?? '', code, stderr || err.message));
      } else resolve(stdout);
    });
  });
}

/** Exit status of a podman command that answers by exit code (e.g. `image exists`, `exec`). */
export function podmanStatus(args: readonly string[], timeoutMs = 60_000): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('podman', args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) resolve({ code: 0, output: stdout });
      else {
        const code = (err as { code?: unknown }).code;
        resolve({ code: typeof code === 'number' ? code : -1, output: `${stdout}${stderr}` });
      }
    });
  });
}

export interface ContainerInfo {
  id: string;
  name: string;
  state: string; // created | running | exited | stopped | paused | …
  exitCode: number;
  startedAt: Date | undefined;
  exitedAt: Date | undefined;
  labels: Record<string, string>;
}

interface PsEntry {
  Id: string;
  Names: string[];
  State: string;
  ExitCode?: number;
  StartedAt?: number;
  ExitedAt?: number;
  Labels?: Record<string, string> | null;
}

const fromUnix = (s: number | undefined): Date | undefined => (s && s > 0 ? new Date(s * 1000) : undefined);

/** Every container carrying the label (all states). */
export async function listContainers(label: string): Promise<ContainerInfo[]> {
  const out = await podman(['ps', '-a', '--filter', `label=${label}`, '--format', 'json']);
  const entries = JSON.parse(out || '[]') as PsEntry[];
  return entries.map((e) => ({
    id: e.Id,
    name: e.Names[0] ?? e.Id,
    state: e.State,
    exitCode: e.ExitCode ?? 0,
    startedAt: fromUnix(e.StartedAt),
    exitedAt: fromUnix(e.ExitedAt),
    labels: e.Labels ?? {},
  }));
}

/** Whether the container was killed by the kernel's OOM killer (ps does not say). */
export async function oomKilled(name: string): Promise<boolean> {
  const r = await podmanStatus(['inspect', '--format', '{{.State.OOMKilled}}', name]);
  return r.code === 0 && r.output.trim() === 'true';
}

/** The local image's id (`sha256:…`), or undefined when no such image exists locally. */
export async function localImageId(image: string): Promise<string | undefined> {
  const r = await podmanStatus(['image', 'inspect', '--format', '{{.Id}}', image]);
  return r.code === 0 ? `sha256:${r.output.trim()}` : undefined;
}

/** The image's configured USER ('' when unset, i.e. root). */
export async function imageUser(image: string): Promise<string> {
  const r = await podmanStatus(['image', 'inspect', '--format', '{{.Config.User}}', image]);
  return r.code === 0 ? r.output.trim() : '';
}

/** The podman pods carrying this node's label, with the Kubernetes pod uid each belongs to. */
export async function podmanPods(nodeName: string): Promise<{ name: string; uid: string }[]> {
  const out = await podman(['pod', 'ps', '--filter', `label=${NODE_LABEL}=${nodeName}`, '--format', 'json']);
  const entries = JSON.parse(out || '[]') as { Name: string; Labels?: Record<string, string> | null }[];
  return entries.map((e) => ({ name: e.Name, uid: e.Labels?.[POD_UID_LABEL] ?? '' }));
}
