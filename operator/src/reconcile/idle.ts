/**
 * lifetime.idleTimeout: the server's own activity clock decides. The operator reads `/server_info`'s `idle_time`
 * (unauthenticated, so the read itself is no activity; the server counts commands, conversation events and runs,
 * open WebSockets and authenticated /api requests) and, past the timeout, suspends the workspace as
 * `spec.suspended` does — recorded in its status (the operator writes no spec), held until the spec changes.
 */
import { fetch } from 'undici';
import { SERVER_PORT, durationMs, type AgentWorkspace } from '../api/agentworkspace.js';
import type { KubeObject } from '../kube/client.js';

/** How often an active workspace is looked at again at most (bounds how late an idle one is suspended). */
export const IDLE_RECHECK_MAX_MS = 60_000;

export interface IdleVerdict {
  /** When the server last saw activity (now - idle_time). */
  lastActivityAt: Date;
  suspend: boolean;
  /** When to look again (while not suspended). */
  recheckAfterMs: number;
}

/** `idle_time` (seconds) of the server at `baseUrl`; throws on any failure. */
export async function serverIdleSeconds(baseUrl: string): Promise<number> {
  const res = await fetch(`${baseUrl}/server_info`, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`GET /server_info answered ${res.status}`);
  const idle = ((await res.json()) as { idle_time?: unknown }).idle_time;
  if (typeof idle !== 'number' || !Number.isFinite(idle) || idle < 0) throw new Error('GET /server_info: no idle_time');
  return idle;
}

/** The idle verdict of a running workspace with lifetime.idleTimeout; undefined when there is none to make. */
export async function checkIdle(ws: AgentWorkspace, pod: KubeObject, now: Date, idleSeconds = serverIdleSeconds): Promise<IdleVerdict | undefined> {
  const timeout = ws.spec.lifetime.idleTimeout;
  const timeoutMs = timeout ? durationMs(timeout) : undefined;
  const podIP = (pod.status as { podIP?: string } | undefined)?.podIP;
  if (timeoutMs === undefined || ws.spec.suspended || !podIP || pod.metadata?.deletionTimestamp) return undefined;
  const idleMs = (await idleSeconds(`http://${podIP}:${SERVER_PORT}`)) * 1000;
  return {
    lastActivityAt: new Date(now.getTime() - idleMs),
    suspend: idleMs >= timeoutMs,
    recheckAfterMs: Math.min(IDLE_RECHECK_MAX_MS, Math.max(1_000, timeoutMs - idleMs)),
  };
}
