// Waiting for the agent server in a container: GET /ready until 200, checking between tries that the container still
// runs — one that exited ends the wait at once with its exit code and last log lines, not at the timeout.
import type Docker from 'dockerode';
import { sleep } from '../backoff.js';
import { logTail } from './container-logs.js';
import { ContainerExitedError, ContainerReadyTimeoutError, errorFromDocker } from './errors.js';

/** Between /ready tries: the server starts in about a second, so a short pause costs nothing. */
const POLL_INTERVAL_MS = 200;
/** One /ready request's limit; a server that is up answers in milliseconds. */
const REQUEST_TIMEOUT_MS = 2_000;

export interface WaitForServerOptions {
  docker: Docker;
  containerId: string;
  url: string;
  timeoutMs: number;
  endpoint: string;
  image: string;
}

async function answersReady(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

export async function waitForServer(o: WaitForServerOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  const container = o.docker.getContainer(o.containerId);
  for (;;) {
    if (await answersReady(o.url)) return;
    let state: { Running?: boolean; Status?: string; ExitCode?: number };
    try {
      state = (await container.inspect()).State;
    } catch (err) {
      throw errorFromDocker(err, `inspect container ${o.containerId.slice(0, 12)}`, o.endpoint);
    }
    if (!state.Running && state.Status !== 'created') {
      const tail = await logTail(o.docker, o.containerId);
      throw new ContainerExitedError(
        `The agent server's container ${o.containerId.slice(0, 12)} (${o.image}) ${state.Status ?? 'stopped'} with exit code ${state.ExitCode ?? '?'} before it was ready. Its last log lines:\n${tail || '(none)'}`,
        o.containerId, state.ExitCode ?? -1, tail,
      );
    }
    if (Date.now() > deadline) {
      const tail = await logTail(o.docker, o.containerId);
      throw new ContainerReadyTimeoutError(
        `The agent server in container ${o.containerId.slice(0, 12)} (${o.image}) did not answer ${o.url}/ready within ${o.timeoutMs} ms; raise readyTimeoutMs or read its logs:\n${tail || '(none)'}`,
        o.containerId, tail,
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
}
