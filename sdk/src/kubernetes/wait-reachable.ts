// After Ready: waiting until the server's URL itself answers. Ready means the pod passed its readiness probe,
// which the kubelet runs against the pod's own address; a client dialling the Service at that moment can still
// find it unrouted for a moment (kube-proxy programs the new endpoint after the EndpointSlice changes:
// "connection refused" or "network unreachable"), and the API server's proxy can answer 503 until it sees the
// endpoint. So the connect step asks GET /ready (unauthenticated, 200 once the server serves) until it answers,
// retrying connection failures, timeouts and 5xx with backoff, within what is left of readyTimeoutMs.
import { backoffMs, sleep } from '../backoff.js';
import type { Logger } from '../logger.js';
import { HttpClient, retryable } from '../remote/http-client.js';
import { WorkspaceReadyTimeoutError } from './errors.js';

export interface WaitUntilReachableOptions {
  /** `namespace/name`, for messages. */
  workspace: string;
  url: string;
  /** When to give up. @unit epoch milliseconds. */
  deadline: number;
  logger: Logger;
  fetch?: typeof fetch | undefined;
  random?: (() => number) | undefined;
}

/** 0.1 s doubling to 2 s: a Service route appears within a kube-proxy sync (about a second). */
const PROBE_BACKOFF = { retries: Infinity, minWait: 0.1, maxWait: 2, multiplier: 0.1 };
/** One probe's limit: a server that takes longer than this to answer /ready is retried, not waited on. @unit ms */
const PROBE_TIMEOUT_MS = 5_000;

/** Resolves once GET {url}/ready answers 2xx; rejects with WorkspaceReadyTimeoutError (naming the last failure) at the deadline, or with the first non-transient error (a 4xx: not an agent server). */
export async function waitUntilReachable(o: WaitUntilReachableOptions): Promise<void> {
  const client = new HttpClient({ url: o.url, maxRetries: 0, fetch: o.fetch });
  for (let attempt = 1; ; attempt++) {
    const left = o.deadline - Date.now();
    try {
      await client.request('GET', '/ready', { timeoutMs: Math.max(1, Math.min(PROBE_TIMEOUT_MS, left)) });
      if (attempt > 1) o.logger.debug({ workspace: o.workspace, url: o.url, attempts: attempt }, 'the agent server answers');
      return;
    } catch (err) {
      if (!retryable(err)) throw err;
      const wait = backoffMs(PROBE_BACKOFF, attempt, undefined, o.random);
      if (Date.now() + wait >= o.deadline) {
        throw new WorkspaceReadyTimeoutError(
          `AgentWorkspace ${o.workspace} is Ready but its server at ${o.url} did not answer before readyTimeoutMs ran out (last: ${(err as Error).message})`,
          o.workspace, 'Ready', undefined,
        );
      }
      o.logger.debug({ workspace: o.workspace, url: o.url, attempt, err: (err as Error).message }, 'the agent server does not answer yet; retrying');
      await sleep(wait);
    }
  }
}
