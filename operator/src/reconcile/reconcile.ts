/**
 * reconcile(key): level-triggered. It reads the workspace and its children from the informer caches
 * (never mutating them), builds the desired children as data, converges the cluster towards them, and
 * writes the status only when it changed. It does not know which event brought the key.
 *
 * Outcomes: returns normally (success; `requeueAfterMs` for the lifetime deadline), returns
 * `{terminal: true}` after recording a terminal condition (not retried), or throws (transient: the
 * caller requeues with backoff).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  API_VERSION, AgentWorkspace, AgentWorkspaceSpec, AgentWorkspaceStatus, KIND, Reason, durationMs,
  type AgentWorkspaceStatus as Status,
} from '../api/agentworkspace.js';
import { WORKSPACE_LABEL, parseKey } from '../api/keys.js';
import { pathOf, type KubeApiError, type KubeClient, type KubeObject } from '../kube/client.js';
import { isAlreadyExists, isConflict, isNotFound, statusCodeOf } from '../kube/errors.js';
import type { Logger } from '../log.js';
import {
  CONTAINER_NAME, SPEC_HASH_ANNOTATION, canonicalJson, desiredNetworkPolicy, desiredPod, desiredPvc, desiredService, desiredSessionSecret,
  names, sessionKeyRef, workspaceUrl, type DesiredSettings,
} from './desired.js';
import { TerminalError } from './errors.js';
import { computeStatus, podConfigError, readyCondition, rfc3339, type PodView, type StatusInput } from './status.js';
import { claimCandidates, claimWarmPod, ensureInitialized, initPending, isClaimed } from '../pool/claim.js';
import { userEnv } from '../pool/user-env.js';
import { pooledSpec } from '../pool/pooled-spec.js';
import { checkIdle, type IdleVerdict } from './idle.js';
import { Timeline } from './timeline.js';

/** Read-only views of the informer caches (objects must not be modified). */
export interface Cache {
  get(name: string, namespace?: string): KubeObject | undefined;
  list(namespace?: string): readonly KubeObject[];
}

export interface Caches {
  workspaces: Cache;
  pools: Cache;
  pods: Cache;
  services: Cache;
  pvcs: Cache;
  networkPolicies: Cache;
}

export type EventType = 'Normal' | 'Warning';

export interface ReconcileDeps {
  client: KubeClient;
  caches: Caches;
  settings: DesiredSettings;
  log: Logger;
  now: () => Date;
  /** Failures of this key so far: a transient error is shown as ReconcileError only once it persists. */
  attempts: number;
  recordEvent: (ws: KubeObject, type: EventType, reason: string, message: string) => void;
  /** Called with each status the operator computed (for metrics). */
  observeStatus: (key: string, before: Status | undefined, after: Status, ws: KubeObject) => void;
  /** When the work queue queued this key for this pass (epoch ms): the start of a claim's timeline. */
  queuedAt?: number;
}

export interface ReconcileResult {
  requeueAfterMs?: number;
  terminal?: boolean;
}

/** Failures of one key after which a transient error shows in the Ready condition (3: a blip does not flap Ready). */
const SHOW_TRANSIENT_AFTER = 3;
/**
 * While the previous pod terminates (its delete event normally comes first), or the pod reports the
 * session-key Secret broken (no event comes when it is fixed), look again this often.
 */
const POLL_MS = 5_000;

export async function reconcile(key: string, deps: ReconcileDeps): Promise<ReconcileResult> {
  const { namespace, name } = parseKey(key);
  const raw = deps.caches.workspaces.get(name, namespace);
  if (!raw || raw.metadata?.deletionTimestamp) return {};
  const log = deps.log.child({ workspace: key, reconcileId: randomUUID() });
  const timeline = new Timeline();
  if (deps.queuedAt !== undefined) timeline.mark('queued', deps.queuedAt);
  timeline.mark('start');

  const parsed = AgentWorkspace.safeParse(raw);
  if (!parsed.success) {
    const message = `Invalid spec: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
    const shell = AgentWorkspace.parse({
      apiVersion: API_VERSION, kind: KIND, metadata: raw.metadata, spec: AgentWorkspaceSpec.parse({}),
      status: AgentWorkspaceStatus.safeParse(raw.status).data,
    });
    await finish(raw, shell, { failure: { reason: Reason.InvalidSpec, message } }, deps, log);
    return { terminal: true };
  }
  // Suspended for idleness (status.idleSuspendedGeneration): as spec.suspended until the spec changes.
  const ws = idleSuspended(parsed.data) ? { ...parsed.data, spec: { ...parsed.data.spec, suspended: true } } : parsed.data;
  const now = deps.now();
  const expiresAt = expiryOf(ws);
  const expired = expiresAt !== undefined && now >= expiresAt;

  let children: Children = { serviceReady: false };
  let failure: StatusInput['failure'];
  let transient: unknown;
  let idle: IdleVerdict | undefined;
  try {
    children = await converge(ws, expired, deps, log, timeline);
    idle = await idleVerdict(ws, children, expired, deps, log);
  } catch (err) {
    if (err instanceof TerminalError) {
      failure = { reason: err.reason, message: err.message };
    } else {
      transient = err;
      if (deps.attempts + 1 >= SHOW_TRANSIENT_AFTER) failure = { reason: Reason.ReconcileError, message: `Retrying after an error: ${(err as Error).message}` };
    }
  }
  // The status is written while a claimed pod's annotation patch is still in flight; the pass ends after both.
  const [written, annotated] = await Promise.allSettled([finish(raw, ws, {
    pod: children.pod, serviceReady: children.serviceReady, unboundClaim: children.unboundClaim, failure, expiresAt,
    initPending: children.pod !== undefined && initPending(children.pod as KubeObject), lastActivityAt: idle?.lastActivityAt,
    idleSuspendNow: idle?.suspend,
  }, deps, log).then((st) => (timeline.mark('status'), st)), children.pending]);
  if (written.status === 'rejected') throw written.reason;
  const status = written.value;
  if (annotated.status === 'rejected') transient ??= annotated.reason;
  if (timeline.has('claimed')) {
    log.info({ pod: children.pod?.metadata?.name, ready: readyCondition(status)?.status, timeline: timeline.toJSON() }, 'claim timeline');
  }
  if (transient) throw transient;
  if (failure) return { terminal: true };
  if (children.waitingForTermination || children.pollSessionKey) return { requeueAfterMs: POLL_MS };
  const untilExpiry = expiresAt && !expired ? Math.max(1, expiresAt.getTime() - now.getTime()) : undefined;
  const untilIdleCheck = idle && !idle.suspend ? idle.recheckAfterMs : undefined;
  const after = Math.min(untilExpiry ?? Infinity, untilIdleCheck ?? Infinity);
  return after < Infinity ? { requeueAfterMs: after } : {};
}

export const idleSuspended = (ws: AgentWorkspace) =>
  ws.status?.idleSuspendedGeneration !== undefined && ws.status.idleSuspendedGeneration === ws.metadata.generation;

/**
 * lifetime.idleTimeout of a running workspace: reads the server's idle time; past the timeout, the status records
 * the suspension (its write brings the next pass, which deletes the pod). A failed read is logged and retried later.
 */
async function idleVerdict(ws: AgentWorkspace, children: Children, expired: boolean, deps: ReconcileDeps, log: Logger): Promise<IdleVerdict | undefined> {
  const pod = children.pod as KubeObject | undefined;
  const running = (pod?.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  if (!ws.spec.lifetime.idleTimeout || expired || !pod || !running || initPending(pod)) return undefined;
  let verdict: IdleVerdict | undefined;
  try {
    verdict = await checkIdle(ws, pod, deps.now());
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'could not read the server\'s idle time; retrying later');
    return undefined;
  }
  if (verdict?.suspend) {
    const message = `No agent activity since ${rfc3339(verdict.lastActivityAt)} (lifetime.idleTimeout ${ws.spec.lifetime.idleTimeout}): suspended; any spec change resumes it.`;
    log.info({ lastActivityAt: rfc3339(verdict.lastActivityAt) }, 'idle: suspending');
    deps.recordEvent(wsObject(ws), 'Normal', 'IdleSuspended', message);
  }
  return verdict;
}

/** The earlier of creation + maxLifetime and shutdownTime; undefined for Never without shutdownTime. */
export function expiryOf(ws: AgentWorkspace): Date | undefined {
  const candidates: number[] = [];
  const created = ws.metadata.creationTimestamp;
  const lifetime = durationMs(ws.spec.lifetime.maxLifetime);
  if (created && lifetime !== undefined) candidates.push(new Date(created).getTime() + lifetime);
  if (ws.spec.lifetime.shutdownTime) candidates.push(new Date(ws.spec.lifetime.shutdownTime).getTime());
  return candidates.length ? new Date(Math.min(...candidates)) : undefined;
}

interface Children {
  pod?: PodView;
  serviceReady: boolean;
  /** The workspace's PVC while it is not Bound yet (the scheduler waits for it). */
  unboundClaim?: string;
  waitingForTermination?: boolean;
  /** The pod reports the generated session-key Secret missing or without its key. */
  pollSessionKey?: boolean;
  /** A write still in flight that the pass awaits after its status write (a claimed pod's initialized-for annotation). */
  pending?: Promise<unknown> | undefined;
}

/**
 * Awaits every one of `steps` (independent writes of one pass), then throws the first failure in their order: no
 * write of this pass is still in flight when it ends, whatever failed.
 */
async function settleInOrder<T extends readonly unknown[]>(steps: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(steps);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

function controlledBy(obj: KubeObject, ws: AgentWorkspace): boolean {
  return !!obj.metadata?.ownerReferences?.some((r) => r.controller && r.uid === ws.metadata.uid);
}

/** An unowned child carrying this workspace's label (a PVC kept by reclaimPolicy Retain) is adopted. */
function adoptable(obj: KubeObject, ws: AgentWorkspace): boolean {
  return !obj.metadata?.ownerReferences?.some((r) => r.controller) && obj.metadata?.labels?.[WORKSPACE_LABEL] === ws.metadata.name;
}

function ownedByPredecessor(obj: KubeObject, ws: AgentWorkspace): boolean {
  return !!obj.metadata?.ownerReferences?.some((r) => r.controller && r.kind === KIND && r.apiVersion === API_VERSION && r.name === ws.metadata.name && r.uid !== ws.metadata.uid);
}

/**
 * Throws for an object with a child's name that this workspace may not touch: transient while it still
 * belongs to a deleted workspace of the same name (garbage collection will remove it), else ResourceConflict.
 */
function refuseForeign(obj: KubeObject, ws: AgentWorkspace, kind: string, name: string): never {
  if (ownedByPredecessor(obj, ws)) throw new Error(`${kind} "${name}" still belongs to a deleted workspace of the same name; waiting for garbage collection`);
  throw new TerminalError(Reason.ResourceConflict, `${kind} "${name}" already exists and is not owned by this workspace; it was left unchanged.`);
}

/** The pod as status should see it right after this pass asked for its deletion. */
function terminating(pod: KubeObject, now: Date): PodView {
  const view = pod as PodView;
  return { ...view, metadata: { ...view.metadata, deletionTimestamp: rfc3339(now) } };
}

/** Maps compared exactly (an extra key changes behaviour, and the API server adds none). */
const EXACT_MAPS = new Set(['selector', 'matchLabels']);

/**
 * true when every field of `want` is present and equal in `have`: the API server adds defaulted fields,
 * which are fine; label maps in {@link EXACT_MAPS} must match exactly.
 */
export function isSubset(want: unknown, have: unknown, exact = false): boolean {
  if (Array.isArray(want)) return Array.isArray(have) && want.length === have.length && want.every((w, i) => isSubset(w, have[i]));
  if (want && typeof want === 'object') {
    if (!have || typeof have !== 'object' || Array.isArray(have)) return false;
    if (exact && Object.keys(have).length !== Object.keys(want).filter((k) => (want as Record<string, unknown>)[k] !== undefined).length) return false;
    return Object.entries(want).every(([k, v]) => v === undefined || isSubset(v, (have as Record<string, unknown>)[k], EXACT_MAPS.has(k)));
  }
  return want === have;
}

/**
 * Creates `desired` when absent, restores its spec (and our labels/ownerReference) when it drifted, and
 * refuses to touch an object of that name it does not control (ResourceConflict).
 */
async function ensure(desired: KubeObject, cached: KubeObject | undefined, ws: AgentWorkspace, deps: ReconcileDeps, log: Logger, compareKey?: string): Promise<KubeObject> {
  const kind = desired.kind ?? '';
  const name = desired.metadata?.name ?? '';
  let actual = cached;
  if (!actual) {
    try {
      const created = await deps.client.create(desired);
      log.info({ kind, name }, 'child created');
      return created;
    } catch (err) {
      if (statusCodeOf(err) === 422) {
        const detail = (err as KubeApiError).body?.message ?? (err as Error).message;
        throw new TerminalError(Reason.InvalidSpec, `The API server refused the ${kind}: ${detail}`);
      }
      if (!isAlreadyExists(err)) throw err;
      actual = await deps.client.get(pathOf(desired));
    }
  }
  if (!controlledBy(actual, ws) && !adoptable(actual, ws)) refuseForeign(actual, ws, kind, name);
  const wantMeta = { labels: desired.metadata?.labels, ownerReferences: desired.metadata?.ownerReferences };
  const metaDrift = !isSubset(wantMeta.labels, actual.metadata?.labels) || (wantMeta.ownerReferences && !controlledBy(actual, ws));
  const specDrift = compareKey !== undefined && !isSubset(desired[compareKey], actual[compareKey]);
  if (specDrift && compareKey) {
    // A replace (with the read resourceVersion) restores the desired top-level fields wholesale, so a
    // key added by hand to a selector disappears too; fields the API server owns (clusterIP) are kept.
    const spec = { ...(actual[compareKey] as object), ...(desired[compareKey] as object) };
    const metadata = { ...actual.metadata, labels: { ...actual.metadata?.labels, ...wantMeta.labels }, ...(wantMeta.ownerReferences ? { ownerReferences: wantMeta.ownerReferences } : {}) };
    actual = await deps.client.replace({ ...actual, metadata, [compareKey]: spec });
  } else if (metaDrift) {
    actual = await deps.client.mergePatch(actual, { metadata: { labels: wantMeta.labels, ...(wantMeta.ownerReferences ? { ownerReferences: wantMeta.ownerReferences } : {}) } });
  }
  if (metaDrift || specDrift) {
    log.info({ kind, name, specDrift, metaDrift }, 'child restored');
    deps.recordEvent(wsObject(ws), 'Normal', 'ChildRestored', `${kind} ${name} was changed outside the operator and restored.`);
  }
  return actual;
}

function wsObject(ws: AgentWorkspace): KubeObject {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name: ws.metadata.name, namespace: ws.metadata.namespace, uid: ws.metadata.uid } };
}

async function converge(ws: AgentWorkspace, expired: boolean, deps: ReconcileDeps, log: Logger, timeline: Timeline): Promise<Children> {
  const ns = ws.metadata.namespace;
  const n = names(ws);
  const c = deps.caches;

  // The generated session key, by create alone (the operator may not read Secrets): before the pod
  // that needs it is created, and again when that pod reports it missing.
  // A claimed pod keeps its pool-given name: look for it by owner when the workspace has a pool.
  const cachedPod = c.pods.get(n.pod, ns) ?? (ws.spec.poolRef ? c.pods.list(ns).find((p) => controlledBy(p, ws) && !p.metadata?.deletionTimestamp) : undefined);
  const key = sessionKeyRef(ws);
  const configError = podConfigError(cachedPod as PodView | undefined);
  const keyMissing = key.generated && configError?.kind === 'Secret' && configError.name === key.name;
  const needKey = (key.generated && !cachedPod && !ws.spec.suspended && !expired) || keyMissing;
  // Nothing tells the operator when someone fixes the Secret (it does not watch Secrets): look again.
  const poll = keyMissing ? { pollSessionKey: true } : {};

  // A warm claim (the pool has a ready pod in the cache): the adopting patch, and the reads /api/init needs, go
  // out beside the children's writes; none depends on another (the session key reaches a claimed pod through
  // /api/init, after the Secret's create answered; the Service need only exist before the status says Ready).
  // A cold pod is created only after all of them (it mounts the session-key Secret).
  const candidates = !cachedPod && !ws.spec.suspended && !expired ? claimCandidates(ws, deps) : undefined;
  const claiming = candidates && candidates.pods.length > 0 ? candidates : undefined;
  const env = claiming ? userEnv(ws, deps.client) : undefined;
  env?.catch(() => undefined); // awaited by ensureInitialized, or unused when no pod was won

  const pvc = desiredPvc(ws, deps.settings.podLimits);
  const np = desiredNetworkPolicy(ws);
  const cachedNp = c.networkPolicies.get(n.networkPolicy, ns);
  // The session key must exist before /api/init (an existing Secret's key is read and delivered, not a new one).
  const beforeInit = settleInOrder([
    needKey ? createSessionSecret(ws, deps, log).then((created) => (timeline.mark('sessionKey'), created)) : undefined,
    pvc ? ensure(pvc as KubeObject, c.pvcs.get(n.pvc, ns), ws, deps, log) : undefined,
    claiming ? claimWarmPod(ws, claiming, deps, log).then((got) => (got && timeline.mark('claimed'), got)) : undefined,
  ] as const);
  // The Service and NetworkPolicy: nothing before the status needs them, so a claim's /api/init does not wait for them.
  const network = settleInOrder([
    ensure(desiredService(ws) as KubeObject, c.services.get(n.service, ns), ws, deps, log, 'spec').then(() => timeline.mark('service')),
    np ? ensure(np as unknown as KubeObject, cachedNp, ws, deps, log, 'spec')
      : cachedNp && controlledBy(cachedNp, ws) ? deleteIfPresent(cachedNp, deps).then(() => log.info({ networkPolicy: n.networkPolicy }, 'network policy deleted'))
        : undefined,
  ] as const);
  network.catch(() => undefined); // awaited on every path below
  let first;
  try {
    first = await beforeInit;
  } catch (err) {
    await network.catch(() => undefined);
    throw err;
  }
  const [sessionKey, claim, won] = first;
  if (!won) await network; // not a claim: every child before the pod, as a cold pod needs
  const claimBound = (claim?.status as { phase?: string } | undefined)?.phase === 'Bound';
  // Once `network` has answered (below for a claim): the Service exists and is ours.
  const base = { serviceReady: true, ...poll, ...(claim && !claimBound ? { unboundClaim: n.pvc } : {}) };

  if (cachedPod && !controlledBy(cachedPod, ws)) refuseForeign(cachedPod, ws, 'Pod', n.pod);
  if (ws.spec.suspended || expired) {
    if (cachedPod && !cachedPod.metadata?.deletionTimestamp) {
      await deleteIfPresent(cachedPod, deps);
      const why = expired ? 'the workspace expired' : 'the workspace is suspended';
      log.info({ pod: n.pod, why }, 'pod deleted');
      deps.recordEvent(wsObject(ws), 'Normal', 'PodDeleted', `Pod ${n.pod} deleted: ${why}.`);
      return { pod: terminating(cachedPod, deps.now()), ...base };
    }
    return { pod: cachedPod as PodView | undefined, ...base };
  }

  const want = desiredPod(pooledSpec(ws, c.pools), deps.settings);
  if (!cachedPod) {
    if (won) {
      const [init, networked] = await Promise.allSettled([ensureInitialized(ws, won.pod, deps, log, timeline, { initKey: won.initKey, sessionKey, env }), network]);
      if (init.status === 'rejected') throw init.reason;
      if (networked.status === 'rejected') {
        await init.value.annotating?.catch(() => undefined);
        throw networked.reason;
      }
      return { pod: init.value.pod as PodView, pending: init.value.annotating, ...base };
    }
    const created = await ensure(want as KubeObject, undefined, ws, deps, log);
    return { pod: created as PodView, ...base };
  }
  if (cachedPod.metadata?.deletionTimestamp) return { pod: cachedPod as PodView, ...base, waitingForTermination: true };
  // A pooled workspace's pod came from the pool's template (which may change or go): it is replaced only when it ended.
  const pooled = ws.spec.poolRef !== undefined;
  const haveHash = cachedPod.metadata?.annotations?.[SPEC_HASH_ANNOTATION];
  const wantHash = want.metadata?.annotations?.[SPEC_HASH_ANNOTATION];
  const haveImage = (cachedPod.spec as { containers?: Array<{ name: string; image?: string }> } | undefined)?.containers?.find((x) => x.name === CONTAINER_NAME)?.image;
  const phase = (cachedPod.status as { phase?: string } | undefined)?.phase;
  const replaceWhy = phase === 'Failed' || phase === 'Succeeded' ? `pod ${phase}` : pooled ? undefined : haveHash !== wantHash ? 'spec changed' : haveImage !== want.spec?.containers[0]?.image ? 'image changed outside the operator' : undefined;
  if (replaceWhy) {
    await deleteIfPresent(cachedPod, deps);
    log.info({ pod: n.pod, why: replaceWhy, haveHash, wantHash }, 'pod replaced');
    deps.recordEvent(wsObject(ws), 'Normal', 'PodReplaced', `Pod ${n.pod} is being replaced: ${replaceWhy}.`);
    return { pod: terminating(cachedPod, deps.now()), ...base, waitingForTermination: true };
  }
  if (isClaimed(cachedPod)) {
    const init = await ensureInitialized(ws, cachedPod, deps, log, timeline);
    return { pod: init.pod as PodView, pending: init.annotating, ...base };
  }
  return { pod: cachedPod as PodView, ...base };
}

/**
 * Creates the generated session-key Secret with 256 fresh random bits; returns the key it created (a claim hands
 * it to /api/init without reading it back), undefined when one existed. One that exists is left as it is:
 * the operator cannot tell its own from another's, nor see its keys (no read on Secrets); the pod reports
 * a missing key, and status says so.
 */
async function createSessionSecret(ws: AgentWorkspace, deps: ReconcileDeps, log: Logger): Promise<string | undefined> {
  const value = randomBytes(32).toString('base64url');
  const secret = desiredSessionSecret(ws, value);
  try {
    await deps.client.create(secret as KubeObject);
    log.info({ secret: secret.metadata?.name }, 'session key created');
    return value;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    return undefined;
  }
}

async function deleteIfPresent(obj: KubeObject, deps: ReconcileDeps): Promise<void> {
  try {
    await deps.client.delete(obj, { uid: obj.metadata?.uid });
  } catch (err) {
    if (!isNotFound(err) && !isConflict(err)) throw err;
  }
}

/** Computes the status, writes it when it changed, and records an Event when the Ready reason changed. */
async function finish(
  raw: KubeObject,
  ws: AgentWorkspace,
  part: Pick<StatusInput, 'pod' | 'failure' | 'expiresAt' | 'unboundClaim' | 'initPending' | 'lastActivityAt' | 'idleSuspendNow'> & { serviceReady?: boolean },
  deps: ReconcileDeps,
  log: Logger,
): Promise<Status> {
  const before = ws.status;
  const key = sessionKeyRef(ws);
  const status = computeStatus({
    ws,
    pod: part.pod,
    serviceReady: part.serviceReady ?? false,
    sessionKey: { name: key.name, key: key.key },
    url: workspaceUrl(ws, deps.settings.clusterDomain),
    failure: part.failure,
    expiresAt: part.expiresAt,
    initPending: part.initPending,
    lastActivityAt: part.lastActivityAt,
    idleSuspendNow: part.idleSuspendNow,
    now: deps.now(),
  });
  deps.observeStatus(`${ws.metadata.namespace}/${ws.metadata.name}`, before, status, raw);
  if (sameStatus(before, status)) return status;
  const stored = await writeStatus(raw, before, status, deps);
  if (stored === 'unchanged') return status;
  const prev = readyCondition(stored);
  const next = readyCondition(status);
  if (next && (prev?.reason !== next.reason || prev?.status !== next.status)) {
    log.info({ ready: next.status, reason: next.reason, was: prev?.reason }, 'Ready changed');
    const warning = [Reason.ImagePullFailed, Reason.PodFailed, Reason.Unschedulable, Reason.InvalidSpec, Reason.ResourceConflict, Reason.ReconcileError].includes(next.reason as never);
    deps.recordEvent(raw, warning ? 'Warning' : 'Normal', next.reason, next.message);
  }
  return status;
}

export function sameStatus(a: Status | undefined, b: Status): boolean {
  return canonicalJson(a ?? {}) === canonicalJson(b);
}

/**
 * Merge-patches /status with the cached resourceVersion as a precondition, so a status computed from
 * an outdated object is never written. On a conflict it re-reads the workspace: a changed generation
 * means a newer spec, whose own event has queued the key, so this write is dropped; otherwise the
 * write is retried (twice) against the fresh version. Returns the status it replaced, or 'unchanged'.
 */
async function writeStatus(raw: KubeObject, before: Status | undefined, next: Status, deps: ReconcileDeps): Promise<Status | undefined | 'unchanged'> {
  let resourceVersion = raw.metadata?.resourceVersion;
  let prev = before;
  for (let attempt = 0; ; attempt++) {
    const patch: Record<string, unknown> = { ...next };
    for (const k of Object.keys(prev ?? {})) if (!(k in next)) patch[k] = null;
    try {
      await deps.client.mergePatch(raw, { metadata: { resourceVersion }, status: patch }, 'status');
      return prev;
    } catch (err) {
      if (isNotFound(err)) return 'unchanged';
      if (!isConflict(err) || attempt >= 2) throw err;
      const fresh = await deps.client.get(pathOf(raw));
      if (fresh.metadata?.generation !== raw.metadata?.generation) return 'unchanged';
      resourceVersion = fresh.metadata?.resourceVersion;
      prev = AgentWorkspaceStatus.safeParse(fresh.status).data;
      if (sameStatus(prev, next)) return 'unchanged';
    }
  }
}
