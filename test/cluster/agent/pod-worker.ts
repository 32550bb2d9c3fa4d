// One pod's life on this node, playing the kubelet's part: volumes, the pod's network namespace on the
// cluster bridge (pod-network.ts), a podman pod, init containers in order, then the containers; probes, restarts per restartPolicy with
// back-off, image-pull and configuration errors as the kubelet reports them, and the pod's status kept
// true. Deletion: the image's stop signal (SIGTERM), the grace period, SIGKILL (`podman stop -t`), removal,
// then the final delete of the pod object (grace 0).
//
// Every step runs in `sync`, serialised per pod and triggered by pod updates, probe changes and the
// node's container poll; it is level-triggered, so a failed step is simply retried by the next sync.
import { join } from 'node:path';
import type { CoreV1Api, V1Container, V1ContainerStatus, V1Pod, V1PodCondition } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { ContainerConfigError, containerEnv, type ApiServerAddress } from './env.js';
import { createArgs, podCreateArgs, podmanName, podmanPodName, type ClusterDns } from './container-args.js';
import type { EventRecorder } from './events.js';
import { isNotFound, type ObjectReader } from './object-reader.js';
import { imageUser, listContainers, localImageId, oomKilled, podman, podmanStatus, POD_UID_LABEL, type ContainerInfo } from './podman.js';
import { ProbeLoop, type ProbeResult } from './probes.js';
import type { PodAddresses } from './pod-addresses.js';
import type { PodNetwork } from './pod-network.js';
import { prepareVolumes, removePodDir, VolumeNotReadyError, type PreparedVolumes, type TokenIssuer } from './volumes.js';

export interface WorkerDeps {
  core: CoreV1Api;
  objects: ObjectReader;
  tokens: TokenIssuer;
  addresses: PodAddresses;
  network: PodNetwork;
  dns: ClusterDns;
  nodeName: string;
  stateDir: string;
  /** Where pods reach the API server: the kubernetes Service (hostNetwork pods use 127.0.0.1:<apiserver port>). */
  apiserver: ApiServerAddress;
  /** The API server's port on the host's loopback (hostNetwork pods). */
  apiserverHostPort: number;
  log: (msg: string) => void;
  event: EventRecorder;
}

/** A poll of the node's containers, with the time the poll began (older than an action: ignored). */
export interface Snapshot {
  takenAt: number;
  byName: ReadonlyMap<string, ContainerInfo>;
}

type State =
  | { kind: 'waiting'; reason: string; message?: string }
  | { kind: 'running'; startedAt: Date }
  | { kind: 'terminated'; exitCode: number; reason: string; startedAt?: Date; finishedAt: Date };

interface Runtime {
  spec: V1Container;
  init: boolean;
  name: string;
  created: boolean;
  containerId?: string;
  imageId?: string;
  state: State;
  lastTerminated?: State & { kind: 'terminated' };
  restartCount: number;
  ready: boolean;
  started: boolean;
  /** Set when an exit was seen and a restart is due at this time. */
  restartAt?: number;
  backoffMs: number;
  pullFailures: number;
  nextPullAt: number;
  /** Time of our last start/stop action: snapshots taken before it are stale for this container. */
  actionAt: number;
  probes: ProbeLoop[];
  readiness: ProbeResult;
  startup: ProbeResult;
}

const BACKOFF_START_MS = 1_000;
const BACKOFF_MAX_MS = 20_000;
const PULL_RETRY_MS = 5_000;

/** runAsNonRoot as the kubelet enforces it: the effective user (spec, else the image's USER) must not be root. */
async function checkRunAsNonRoot(pod: V1Pod, c: V1Container, image: string): Promise<void> {
  const nonRoot = c.securityContext?.runAsNonRoot ?? pod.spec?.securityContext?.runAsNonRoot;
  if (!nonRoot) return;
  const uid = c.securityContext?.runAsUser ?? pod.spec?.securityContext?.runAsUser;
  if (uid !== undefined) {
    if (uid === 0) throw new ContainerConfigError('container\'s runAsUser breaks non-root policy');
    return;
  }
  const user = (await imageUser(image)).split(':')[0] ?? '';
  if (user === '' || user === '0' || user === 'root') throw new ContainerConfigError('container has runAsNonRoot and image will run as root');
  if (!/^\d+$/.test(user)) throw new ContainerConfigError(`container has runAsNonRoot and image has non-numeric user (${user}), cannot verify user is non-root`);
}

export class PodWorker {
  private pod: V1Pod;
  private readonly uid: string;
  private ip: string | undefined;
  private volumes: PreparedVolumes | undefined;
  private podCreated = false;
  private readonly containers: Runtime[];
  private startTime: Date | undefined;
  private lastStatus = '';
  private chain: Promise<void> = Promise.resolve();
  private pending = false;
  private snapshot: Snapshot = { takenAt: 0, byName: new Map() };
  private configError: { reason: string; message: string } | undefined;
  private terminated = false;
  /** The pod object is already gone from the API: terminate without the final delete. */
  private forgotten = false;
  /** The pod reached a terminal phase (restartPolicy Never/OnFailure): nothing more runs. */
  private finalPhase: 'Succeeded' | 'Failed' | undefined;

  /**
   * `adopt`: a podman pod of this pod survived a restart of the agent; its containers are taken over
   * (address, restartCount, running state) instead of being recreated.
   */
  constructor(pod: V1Pod, private readonly deps: WorkerDeps, private adopt = false) {
    this.pod = pod;
    this.uid = pod.metadata?.uid ?? '';
    const mk = (spec: V1Container, init: boolean): Runtime => ({
      spec, init, name: podmanName(pod, spec.name), created: false,
      state: { kind: 'waiting', reason: 'ContainerCreating' }, restartCount: 0, ready: false, started: false,
      backoffMs: BACKOFF_START_MS, pullFailures: 0, nextPullAt: 0, actionAt: 0, probes: [],
      readiness: 'unknown', startup: 'unknown',
    });
    this.containers = [
      ...(pod.spec?.initContainers ?? []).map((c) => mk(c, true)),
      ...(pod.spec?.containers ?? []).map((c) => mk(c, false)),
    ];
  }

  get done(): boolean {
    return this.terminated;
  }

  update(pod: V1Pod): void {
    this.pod = pod;
    this.kick();
  }

  observe(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.kick();
  }

  /** The pod object is gone from the API (force-deleted): remove its containers at once. */
  forget(): void {
    this.pod = { ...this.pod, metadata: { ...this.pod.metadata, deletionTimestamp: new Date(), deletionGracePeriodSeconds: 0 } };
    this.kick(true);
  }

  private kick(forgotten = false): void {
    if (forgotten) this.forgotten = true;
    if (this.pending) return;
    this.pending = true;
    this.chain = this.chain.then(async () => {
      this.pending = false;
      try {
        await this.sync();
      } catch (err) {
        this.deps.log(`pod ${this.key}: sync failed: ${(err as Error).message}`);
      }
    });
  }

  private get key(): string {
    return `${this.pod.metadata?.namespace}/${this.pod.metadata?.name}`;
  }

  private async sync(): Promise<void> {
    if (this.terminated) return;
    if (this.pod.metadata?.deletionTimestamp) return this.terminate();
    if (this.adopt) await this.adoptExisting();
    if (!this.ip) {
      this.ip = this.pod.spec?.hostNetwork ? '127.0.0.1' : this.deps.addresses.acquire(this.uid);
      this.startTime = new Date();
    }
    if (this.finalPhase) return this.publish();
    if (!(await this.ensureVolumes())) return this.publish();
    if (!this.podCreated) {
      await podman(['pod', 'rm', '-f', '--ignore', podmanPodName(this.pod)]);
      if (!this.pod.spec?.hostNetwork) await this.deps.network.setUp(this.uid, this.ip);
      await podman(podCreateArgs(this.pod, this.deps.nodeName));
      this.podCreated = true;
    }
    const inits = this.containers.filter((c) => c.init);
    for (const c of inits) {
      await this.syncContainer(c);
      if (!(c.state.kind === 'terminated' && c.state.exitCode === 0)) return this.finish();
    }
    for (const c of this.containers.filter((x) => !x.init)) await this.syncContainer(c);
    return this.finish();
  }

  private async finish(): Promise<void> {
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    const mains = this.containers.filter((c) => !c.init);
    const initFailedForGood = this.containers.some(
      (c) => c.init && c.state.kind === 'terminated' && c.state.exitCode !== 0 && c.restartAt === undefined,
    );
    if (initFailedForGood && policy === 'Never') this.finalPhase = 'Failed';
    else if (policy !== 'Always' && mains.every((c) => c.state.kind === 'terminated' && c.restartAt === undefined)) {
      this.finalPhase = mains.every((c) => c.state.kind === 'terminated' && c.state.exitCode === 0) ? 'Succeeded' : 'Failed';
    }
    if (this.finalPhase) for (const c of this.containers) this.stopProbes(c);
    await this.publish();
  }

  private async adoptExisting(): Promise<void> {
    this.adopt = false;
    const ip = this.pod.status?.podIP;
    const hostNetwork = this.pod.spec?.hostNetwork === true;
    // A pod on the pod network is adopted only with its namespace intact (else it is set up afresh).
    if (!ip || !(hostNetwork ? ip === '127.0.0.1' : this.deps.network.exists(this.uid) && this.deps.addresses.reserve(this.uid, ip))) return;
    const existing = await listContainers(`${POD_UID_LABEL}=${this.uid}`);
    const statuses = new Map([...(this.pod.status?.initContainerStatuses ?? []), ...(this.pod.status?.containerStatuses ?? [])].map((st) => [st.name, st]));
    this.ip = ip;
    this.startTime = this.pod.status?.startTime ? new Date(this.pod.status.startTime) : new Date();
    this.podCreated = true;
    for (const c of this.containers) {
      const found = existing.find((e) => e.name === c.name);
      if (!found) continue;
      const st = statuses.get(c.spec.name);
      c.created = true;
      c.containerId = found.id;
      c.imageId = st?.imageID;
      c.restartCount = st?.restartCount ?? 0;
      const last = st?.lastState?.terminated;
      if (last) {
        c.lastTerminated = {
          kind: 'terminated', exitCode: last.exitCode, reason: last.reason ?? 'Error',
          finishedAt: last.finishedAt ? new Date(last.finishedAt) : new Date(),
          ...(last.startedAt ? { startedAt: new Date(last.startedAt) } : {}),
        };
      }
      // Seen as running: the next poll either confirms it or observes the exit and applies restartPolicy.
      c.state = { kind: 'running', startedAt: found.startedAt ?? new Date() };
      if (found.state === 'running') this.startProbes(c);
    }
    this.deps.log(`pod ${this.key}: adopted after an agent restart (${ip})`);
  }

  /** Prepares volumes once (and again when projected tokens near expiry); false while not possible yet. */
  private async ensureVolumes(): Promise<boolean> {
    if (this.volumes && (!this.volumes.refreshAt || this.volumes.refreshAt.getTime() > Date.now())) return true;
    try {
      this.volumes = await prepareVolumes(this.pod, this.ip ?? '', this.podDir, this.deps.objects, this.deps.tokens);
      this.configError = undefined;
      return true;
    } catch (err) {
      if (this.volumes) return true; // a failed token refresh keeps the old files; retried next sync
      const message = (err as Error).message;
      this.configError = err instanceof VolumeNotReadyError
        ? { reason: 'ContainerCreating', message }
        : { reason: 'CreateContainerConfigError', message };
      return false;
    }
  }

  private get podDir(): string {
    return join(this.deps.stateDir, 'pods', this.uid);
  }

  private async syncContainer(c: Runtime): Promise<void> {
    if (!c.created) return this.createAndStart(c);
    const seen = this.snapshot.takenAt >= c.actionAt ? this.snapshot.byName.get(c.name) : undefined;
    const now = Date.now();
    if (seen && seen.state === 'running' && c.state.kind !== 'running') {
      c.state = { kind: 'running', startedAt: seen.startedAt ?? new Date() };
    }
    if (seen && (seen.state === 'exited' || seen.state === 'stopped') && c.state.kind === 'running' && c.restartAt === undefined) {
      const oom = await oomKilled(c.name);
      c.state = {
        kind: 'terminated', exitCode: seen.exitCode, startedAt: c.state.startedAt,
        finishedAt: seen.exitedAt ?? new Date(),
        reason: oom ? 'OOMKilled' : seen.exitCode === 0 ? 'Completed' : 'Error',
      };
      c.ready = false;
      c.started = false;
      this.stopProbes(c);
      const policy = this.pod.spec?.restartPolicy ?? 'Always';
      const restart = c.init ? policy !== 'Never' && seen.exitCode !== 0 : policy === 'Always' || (policy === 'OnFailure' && seen.exitCode !== 0);
      if (restart) {
        c.restartAt = now + c.backoffMs;
        c.backoffMs = Math.min(c.backoffMs * 2, BACKOFF_MAX_MS);
      }
      this.deps.log(`pod ${this.key}: container ${c.spec.name} exited ${seen.exitCode}${restart ? '; restarting' : ''}`);
    }
    if (c.restartAt !== undefined && now >= c.restartAt) {
      c.restartAt = undefined;
      c.lastTerminated = c.state.kind === 'terminated' ? c.state : c.lastTerminated;
      c.actionAt = Date.now();
      await podman(['start', c.name]);
      c.restartCount++;
      c.state = { kind: 'running', startedAt: new Date() };
      this.startProbes(c);
    }
  }

  private async createAndStart(c: Runtime): Promise<void> {
    const image = c.spec.image ?? '';
    if (Date.now() < c.nextPullAt) return;
    const imageId = await localImageId(image);
    if (!imageId) {
      // No registry is reachable: an image that is not local cannot be pulled. The first failure reads
      // ErrImagePull, later ones ImagePullBackOff, as the kubelet reports them; retried in case it is built.
      c.pullFailures++;
      c.nextPullAt = Date.now() + PULL_RETRY_MS;
      const message = `image "${image}" is not present on node ${this.deps.nodeName} and no registry is reachable`;
      c.state = { kind: 'waiting', reason: c.pullFailures === 1 ? 'ErrImagePull' : 'ImagePullBackOff', message };
      if (c.pullFailures === 1) this.event(c, 'Warning', 'Failed', `Failed to pull image "${image}": ${message}`);
      return;
    }
    c.imageId = imageId;
    let env: Map<string, string>;
    try {
      const apiserver = this.pod.spec?.hostNetwork ? { host: '127.0.0.1', port: this.deps.apiserverHostPort } : this.deps.apiserver;
      await checkRunAsNonRoot(this.pod, c.spec, image);
      env = await containerEnv(this.pod, c.spec, this.ip ?? '', apiserver, this.deps.objects);
      await podman(['rm', '-f', '--ignore', c.name]);
      const logPath = join(this.deps.stateDir, 'logs', 'pods', `${this.pod.metadata?.namespace}_${this.pod.metadata?.name}_${this.uid.slice(0, 8)}_${c.spec.name}.log`);
      const id = await podman(createArgs({
        pod: this.pod, container: c.spec, podmanName: c.name, nodeName: this.deps.nodeName,
        env, volumes: this.volumes?.volumes ?? new Map(), podmanPod: podmanPodName(this.pod), logPath,
        ...(this.pod.spec?.hostNetwork ? {} : { netnsPath: this.deps.network.netnsPath(this.uid) }), dns: this.deps.dns,
      }));
      c.containerId = id.trim();
    } catch (err) {
      const message = (err as Error).message;
      c.state = { kind: 'waiting', reason: err instanceof ContainerConfigError ? 'CreateContainerConfigError' : 'CreateContainerError', message };
      return;
    }
    c.created = true;
    c.actionAt = Date.now();
    try {
      await podman(['start', c.name]);
    } catch (err) {
      c.state = { kind: 'terminated', exitCode: 128, reason: 'StartError', finishedAt: new Date() };
      this.deps.log(`pod ${this.key}: container ${c.spec.name} failed to start: ${(err as Error).message}`);
      return;
    }
    c.state = { kind: 'running', startedAt: new Date() };
    this.startProbes(c);
    this.deps.log(`pod ${this.key}: started container ${c.spec.name} (${this.ip})`);
    this.event(c, 'Normal', 'Started', `Started container ${c.spec.name}`);
  }

  private event(c: Runtime, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const field = c.init ? `spec.initContainers{${c.spec.name}}` : `spec.containers{${c.spec.name}}`;
    this.deps.event(this.pod, type, reason, message, field);
  }

  private startProbes(c: Runtime): void {
    this.stopProbes(c);
    if (c.init) return;
    const target = { host: this.ip ?? '127.0.0.1', container: c.spec, podmanName: c.name };
    c.readiness = 'unknown';
    c.startup = c.spec.startupProbe ? 'unknown' : 'success';
    c.started = !c.spec.startupProbe;
    const afterStartup = (): void => {
      if (c.spec.readinessProbe) {
        const loop = new ProbeLoop(c.spec.readinessProbe, target, (r) => {
          c.readiness = r;
          this.kick();
        }, (detail) => this.event(c, 'Warning', 'Unhealthy', `Readiness probe failed: ${detail}`));
        c.probes.push(loop);
        loop.start();
      } else c.readiness = 'success';
      if (c.spec.livenessProbe) {
        const loop = new ProbeLoop(c.spec.livenessProbe, target, (r) => { if (r === 'failure') void this.kill(c, 'liveness'); });
        c.probes.push(loop);
        loop.start();
      }
    };
    if (c.spec.startupProbe) {
      const loop = new ProbeLoop(c.spec.startupProbe, target, (r) => {
        c.startup = r;
        if (r === 'success') { c.started = true; afterStartup(); this.kick(); } else if (r === 'failure') void this.kill(c, 'startup');
      });
      c.probes.push(loop);
      loop.start();
    } else afterStartup();
  }

  private stopProbes(c: Runtime): void {
    for (const p of c.probes) p.stop();
    c.probes = [];
    c.readiness = 'unknown';
  }

  /** A failed liveness/startup probe: stop the container (grace period, then SIGKILL); the exit restarts it. */
  private async kill(c: Runtime, probe: string): Promise<void> {
    if (this.pod.metadata?.deletionTimestamp || this.terminated) return; // termination stops it already
    this.deps.log(`pod ${this.key}: container ${c.spec.name} failed its ${probe} probe; killing it`);
    this.event(c, 'Warning', 'Unhealthy', `${probe[0]?.toUpperCase()}${probe.slice(1)} probe failed`);
    this.event(c, 'Normal', 'Killing', `Container ${c.spec.name} failed ${probe} probe, will be restarted`);
    this.stopProbes(c);
    const grace = this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    await podmanStatus(['stop', '-t', String(grace), c.name], (grace + 30) * 1000);
    this.kick();
  }

  private async terminate(): Promise<void> {
    const grace = this.pod.metadata?.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    for (const c of this.containers) this.stopProbes(c);
    const names = this.containers.filter((c) => c.created).map((c) => c.name);
    if (names.length > 0) await podmanStatus(['stop', '-t', String(grace), ...names], (grace + 60) * 1000);
    await podmanStatus(['pod', 'rm', '-f', '--ignore', podmanPodName(this.pod)]);
    await removePodDir(this.podDir);
    if (!this.pod.spec?.hostNetwork) {
      await this.deps.network.tearDown(this.uid);
      this.deps.addresses.release(this.uid);
    }
    this.terminated = true;
    if (this.forgotten) return;
    try {
      await this.deps.core.deleteNamespacedPod({
        name: this.pod.metadata?.name ?? '', namespace: this.pod.metadata?.namespace ?? '',
        // In the body: client-node drops a gracePeriodSeconds query parameter of 0.
        body: { gracePeriodSeconds: 0, preconditions: { uid: this.uid } },
      });
    } catch (err) {
      if (!isNotFound(err) && (err as { code?: number }).code !== 409) throw err;
    }
    this.deps.log(`pod ${this.key}: terminated and deleted`);
  }

  private async publish(): Promise<void> {
    const status = this.status();
    const text = JSON.stringify(status);
    if (text === this.lastStatus) return;
    try {
      await this.deps.core.patchNamespacedPodStatus(
        { name: this.pod.metadata?.name ?? '', namespace: this.pod.metadata?.namespace ?? '', body: { status } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      this.lastStatus = text;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private status(): Record<string, unknown> {
    const now = new Date().toISOString();
    const old = new Map((this.pod.status?.conditions ?? []).map((c) => [c.type, c]));
    const cond = (type: string, ok: boolean, reason?: string): V1PodCondition => {
      const status = ok ? 'True' : 'False';
      const prev = old.get(type);
      const lastTransitionTime = prev && prev.status === status ? prev.lastTransitionTime : now;
      return { type, status, lastTransitionTime, ...(reason && !ok ? { reason } : {}) } as unknown as V1PodCondition;
    };
    const inits = this.containers.filter((c) => c.init);
    const mains = this.containers.filter((c) => !c.init);
    const initialized = inits.every((c) => c.state.kind === 'terminated' && c.state.exitCode === 0);
    const running = this.finalPhase === undefined;
    const containersReady = running && mains.every((c) => c.state.kind === 'running' && c.started && c.readiness === 'success');
    for (const c of mains) c.ready = running && c.state.kind === 'running' && c.started && c.readiness === 'success';
    const gates = (this.pod.spec?.readinessGates ?? []).every((g) => old.get(g.conditionType)?.status === 'True');
    const conditions = [
      cond('PodReadyToStartContainers', this.podCreated),
      cond('Initialized', initialized, 'ContainersNotInitialized'),
      cond('ContainersReady', containersReady, 'ContainersNotReady'),
      cond('Ready', containersReady && gates, 'ContainersNotReady'),
      ...(old.get('PodScheduled') ? [old.get('PodScheduled') as V1PodCondition] : []),
      ...[...old.values()].filter((c) => !['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready', 'PodScheduled'].includes(c.type)),
    ];
    let phase: string = this.finalPhase ?? 'Pending';
    if (!this.finalPhase && initialized && mains.every((c) => c.created) && mains.some((c) => c.state.kind === 'running' || c.restartAt !== undefined)) phase = 'Running';
    const status: Record<string, unknown> = {
      phase,
      conditions,
      hostIP: '127.0.0.1',
      hostIPs: [{ ip: '127.0.0.1' }],
      podIP: this.ip,
      podIPs: this.ip ? [{ ip: this.ip }] : [],
      startTime: this.startTime?.toISOString(),
      containerStatuses: mains.map((c) => this.containerStatus(c)),
      ...(inits.length > 0 ? { initContainerStatuses: inits.map((c) => this.containerStatus(c)) } : {}),
    };
    if (this.configError) {
      status.containerStatuses = mains.map((c) => ({ ...this.containerStatus(c), state: { waiting: { reason: this.configError?.reason, message: this.configError?.message } } }));
    }
    return status;
  }

  private containerStatus(c: Runtime): V1ContainerStatus {
    const render = (s: State): Record<string, unknown> => {
      switch (s.kind) {
        case 'waiting': return { waiting: { reason: s.reason, ...(s.message ? { message: s.message } : {}) } };
        case 'running': return { running: { startedAt: s.startedAt.toISOString() } };
        case 'terminated': return { terminated: {
          exitCode: s.exitCode, reason: s.reason, finishedAt: s.finishedAt.toISOString(),
          ...(s.startedAt ? { startedAt: s.startedAt.toISOString() } : {}),
          ...(c.containerId ? { containerID: `podman://${c.containerId}` } : {}),
        } };
      }
    };
    // Between an exit and its restart the kubelet shows CrashLoopBackOff with the exit as lastState.
    const inBackoff = c.restartAt !== undefined && c.state.kind === 'terminated';
    const state = inBackoff
      ? { waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting failed container ${c.spec.name}` } }
      : render(c.state);
    const last = inBackoff ? c.state : c.lastTerminated;
    return {
      name: c.spec.name,
      image: c.spec.image ?? '',
      imageID: c.imageId ?? '',
      ...(c.containerId ? { containerID: `podman://${c.containerId}` } : {}),
      ready: c.ready,
      started: c.state.kind === 'running' && c.started,
      restartCount: c.restartCount,
      state,
      lastState: last ? render(last) : {},
    } as unknown as V1ContainerStatus;
  }
}
