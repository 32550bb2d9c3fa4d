// The labels every container the SDK starts carries, and the reaper they allow: a container whose owning process
// (this machine's, by pid) is gone and that was not kept alive is stale — its process was killed before close().
import { hostname } from 'node:os';
import type Docker from 'dockerode';
import type { Logger } from '../logger.js';

export const LABEL_MANAGED = 'dev.agentworkspace.managed';
export const LABEL_OWNER_HOST = 'dev.agentworkspace.owner-host';
export const LABEL_OWNER_PID = 'dev.agentworkspace.owner-pid';
export const LABEL_KEEP_ALIVE = 'dev.agentworkspace.keep-alive';

export function ownerLabels(keepAlive: boolean, pid: number = process.pid): Record<string, string> {
  return { [LABEL_MANAGED]: 'true', [LABEL_OWNER_HOST]: hostname(), [LABEL_OWNER_PID]: String(pid), [LABEL_KEEP_ALIVE]: String(keepAlive) };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True for a container of this host whose owner process no longer exists and that is not kept alive. */
export function isStale(labels: Record<string, string>, alive: (pid: number) => boolean = pidAlive, host: string = hostname()): boolean {
  if (labels[LABEL_MANAGED] !== 'true' || labels[LABEL_KEEP_ALIVE] === 'true' || labels[LABEL_OWNER_HOST] !== host) return false;
  const pid = Number(labels[LABEL_OWNER_PID]);
  return Number.isInteger(pid) && pid > 0 && !alive(pid);
}

/**
 * Removes (forcibly) the stale containers: DockerWorkspace.create calls it first, so a test run or a program
 * SIGKILLed before close() leaves nothing behind past the next start. Returns the removed ids. A pid reused by an
 * unrelated process keeps its container until that process ends.
 */
export async function reapStaleContainers(docker: Docker, logger?: Logger): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=true`] } });
  const removed: string[] = [];
  for (const c of list) {
    if (!isStale(c.Labels ?? {})) continue;
    try {
      await docker.getContainer(c.Id).remove({ force: true });
      removed.push(c.Id);
      logger?.info({ container: c.Id.slice(0, 12), ownerPid: c.Labels[LABEL_OWNER_PID] }, 'removed a stale agent-server container');
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) logger?.warn({ container: c.Id.slice(0, 12), err: String(err) }, 'could not remove a stale container');
    }
  }
  return removed;
}
