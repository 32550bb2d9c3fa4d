// Container probes as the kubelet runs them: httpGet and tcpSocket against the pod's address (routed from
// the host into the pod network, so a refused connection means nothing listens in the pod), exec through
// `podman exec`. A ProbeLoop applies the probe's timing (initialDelaySeconds, periodSeconds, timeoutSeconds)
// and thresholds and reports each change of result.
import { connect } from 'node:net';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { V1Container, V1Probe } from '@kubernetes/client-node';
import { podmanStatus } from './podman.js';

export interface ProbeTarget {
  host: string;
  container: V1Container;
  podmanName: string;
}

/** Resolves a numeric or named container port. */
export function resolvePort(port: number | string, container: V1Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`container ${container.name} has no port named ${port}`);
  return named.containerPort;
}

/** One probe attempt: undefined on success, else what failed, worded as the kubelet words it. */
export async function probeOnce(probe: V1Probe, target: ProbeTarget): Promise<string | undefined> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.httpGet) {
    const g = probe.httpGet;
    const port = resolvePort(g.port as number | string, target.container);
    const https = g.scheme === 'HTTPS';
    const headers = Object.fromEntries((g.httpHeaders ?? []).map((h) => [h.name, h.value]));
    const host = g.host || target.host;
    return new Promise((resolve) => {
      const req = (https ? httpsRequest : httpRequest)(
        { host, port, path: g.path || '/', method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false },
        (res) => {
          res.resume();
          const code = res.statusCode ?? 0;
          resolve(code >= 200 && code < 400 ? undefined : `HTTP probe failed with statuscode: ${code}`);
        },
      );
      req.on('timeout', () => req.destroy(new Error('context deadline exceeded')));
      req.on('error', (err) => resolve(`Get "${https ? 'https' : 'http'}://${host}:${port}${g.path || '/'}": ${err.message}`));
      req.end();
    });
  }
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port as number | string, target.container);
    const host = probe.tcpSocket.host || target.host;
    const failed = `dial tcp ${host}:${port}: connect: connection refused`;
    return new Promise((resolve) => {
      const sock = connect({ host, port, timeout: timeoutMs });
      sock.on('connect', () => { sock.destroy(); resolve(undefined); });
      sock.on('timeout', () => { sock.destroy(); resolve(`dial tcp ${host}:${port}: i/o timeout`); });
      sock.on('error', () => resolve(failed));
    });
  }
  if (probe.exec) {
    const r = await podmanStatus(['exec', target.podmanName, ...(probe.exec.command ?? [])], timeoutMs + 5000);
    return r.code === 0 ? undefined : `command failed with exit code ${r.code}: ${r.output.trim().slice(0, 200)}`;
  }
  // grpc probes are not supported on this node: they always fail, visibly.
  return 'grpc probes are not supported by this node';
}

export type ProbeResult = 'unknown' | 'success' | 'failure';

/**
 * Runs one probe periodically until stopped; `onChange` fires when the thresholded result changes, `onFailure`
 * on a failed attempt whose wording differs from the previous failure's (the kubelet's Unhealthy events, which
 * it aggregates by message).
 */
export class ProbeLoop {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  result: ProbeResult = 'unknown';

  constructor(
    private readonly probe: V1Probe,
    private readonly target: ProbeTarget,
    private readonly onChange: (result: ProbeResult) => void,
    private readonly onFailure: (detail: string) => void = () => {},
  ) {}
  private lastFailure: string | undefined;

  start(): void {
    this.schedule((this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const failure = await probeOnce(this.probe, this.target).catch((err: unknown) => `probe error: ${String(err)}`);
    if (this.stopped) return;
    const ok = failure === undefined;
    if (failure !== undefined && failure !== this.lastFailure) this.onFailure(failure);
    this.lastFailure = failure;
    if (ok) { this.successes++; this.failures = 0; } else { this.failures++; this.successes = 0; }
    let next: ProbeResult = this.result;
    if (ok && this.successes >= (this.probe.successThreshold ?? 1)) next = 'success';
    if (!ok && this.failures >= (this.probe.failureThreshold ?? 3)) next = 'failure';
    if (next !== this.result) {
      this.result = next;
      this.onChange(next);
    }
    this.schedule((this.probe.periodSeconds ?? 10) * 1000);
  }
}
