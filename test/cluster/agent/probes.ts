// Container probes as the kubelet runs them: httpGet against the pod's address (routed from the host into
// the pod network), tcpSocket from inside the pod's network namespace, exec through `podman exec`. A ProbeLoop applies the probe's timing
// (initialDelaySeconds, periodSeconds, timeoutSeconds) and thresholds and reports each change of result.
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { V1Container, V1Probe } from '@kubernetes/client-node';
import { podmanStatus } from './podman.js';

export interface ProbeTarget {
  host: string;
  container: V1Container;
  podmanName: string;
  /**
   * A process in the pod's network namespace (undefined for hostNetwork pods): tcpSocket probes connect to the
   * port on that namespace's loopback. The kubelet connects to podIP:port; the two differ only for a server
   * bound to the pod's loopback alone.
   */
  netnsPid?: () => Promise<number>;
}

/** Resolves a numeric or named container port. */
export function resolvePort(port: number | string, container: V1Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`container ${container.name} has no port named ${port}`);
  return named.containerPort;
}

/** One probe attempt: true on success. */
export async function probeOnce(probe: V1Probe, target: ProbeTarget): Promise<boolean> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.httpGet) {
    const g = probe.httpGet;
    const port = resolvePort(g.port as number | string, target.container);
    const https = g.scheme === 'HTTPS';
    const headers = Object.fromEntries((g.httpHeaders ?? []).map((h) => [h.name, h.value]));
    return new Promise((resolve) => {
      const req = (https ? httpsRequest : httpRequest)(
        { host: g.host || target.host, port, path: g.path || '/', method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false },
        (res) => {
          res.resume();
          const code = res.statusCode ?? 0;
          resolve(code >= 200 && code < 400);
        },
      );
      req.on('timeout', () => req.destroy(new Error('probe timeout')));
      req.on('error', () => resolve(false));
      req.end();
    });
  }
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port as number | string, target.container);
    if (target.netnsPid && !probe.tcpSocket.host) return connectInNetns(await target.netnsPid(), port, timeoutMs);
    return new Promise((resolve) => {
      const sock = connect({ host: probe.tcpSocket?.host || target.host, port, timeout: timeoutMs });
      sock.on('connect', () => { sock.destroy(); resolve(true); });
      sock.on('timeout', () => { sock.destroy(); resolve(false); });
      sock.on('error', () => resolve(false));
    });
  }
  if (probe.exec) {
    const r = await podmanStatus(['exec', target.podmanName, ...(probe.exec.command ?? [])], timeoutMs + 5000);
    return r.code === 0;
  }
  // grpc probes are not supported on this node: they always fail, visibly.
  return false;
}

/** A TCP connect to the namespace's own loopback, with the host's bash (any image works, tools or not). */
function connectInNetns(pid: number, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('nsenter', ['-t', String(pid), '-n', '--', 'bash', '-c', 'exec 3<>"/dev/tcp/127.0.0.1/$0"', String(port)],
      { timeout: timeoutMs }, (err) => resolve(!err));
  });
}

export type ProbeResult = 'unknown' | 'success' | 'failure';

/** Runs one probe periodically until stopped; `onChange` fires when the thresholded result changes. */
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
  ) {}

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
    const ok = await probeOnce(this.probe, this.target).catch(() => false);
    if (this.stopped) return;
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
