// How the container reaches the host's loopback (a model server on 127.0.0.1) by the name host.docker.internal,
// per engine. What each reaches (README, "Reaching the host"):
// - Docker Desktop: host.docker.internal is built in and reaches the host's 127.0.0.1.
// - podman (rootful or rootless): slirp4netns with allow_host_loopback makes 10.0.2.2 the host's 127.0.0.1; the
//   name is mapped to it.
// - Docker Engine on Linux: host-gateway is the bridge's gateway (172.17.0.1), which reaches services bound to it or
//   to 0.0.0.0, never to 127.0.0.1 only. `network: 'host'` shares the host's network instead: 127.0.0.1 is the host's.
import type { EngineKind } from './engine.js';

export const HOST_NAME = 'host.docker.internal';
/** The host's loopback as slirp4netns (allow_host_loopback) shows it to the container. */
export const SLIRP_HOST_LOOPBACK = '10.0.2.2';

export interface NetworkPlan {
  /** HostConfig.NetworkMode; undefined: the engine's default. */
  networkMode: string | undefined;
  /** HostConfig.ExtraHosts. */
  extraHosts: string[];
  /** True when the server port is published (not in the host network). */
  publish: boolean;
  /** What host.docker.internal reaches, for the log and the README. */
  reaches: 'host loopback' | 'bridge gateway' | 'nothing added';
}

export function networkPlan(kind: EngineKind, network: string, hostLoopback: boolean): NetworkPlan {
  if (network === 'host') return { networkMode: 'host', extraHosts: hostLoopback ? [`${HOST_NAME}:127.0.0.1`] : [], publish: false, reaches: hostLoopback ? 'host loopback' : 'nothing added' };
  const named = network === 'bridge' ? undefined : network;
  if (!hostLoopback) return { networkMode: named, extraHosts: [], publish: true, reaches: 'nothing added' };
  if (kind === 'docker-desktop') return { networkMode: named, extraHosts: [], publish: true, reaches: 'host loopback' };
  if (kind === 'podman') {
    // podman before 5.3 does not know host-gateway; on a named network it adds host.containers.internal itself.
    if (named) return { networkMode: named, extraHosts: [], publish: true, reaches: 'nothing added' };
    return { networkMode: 'slirp4netns:allow_host_loopback=true', extraHosts: [`${HOST_NAME}:${SLIRP_HOST_LOOPBACK}`], publish: true, reaches: 'host loopback' };
  }
  // Docker Engine on Linux: the bridge's gateway, which the engine resolves (Docker ≥ 20.10).
  return { networkMode: named, extraHosts: [`${HOST_NAME}:host-gateway`], publish: true, reaches: 'bridge gateway' };
}
