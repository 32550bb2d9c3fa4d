// Translates one container of a pod spec into `podman create` arguments: image, command/args, env,
// mounts, the pod's network namespace and DNS, securityContext and resource limits.
import { join } from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { ContainerConfigError, expand } from './env.js';
import { CONTAINER_LABEL, NODE_LABEL, POD_UID_LABEL } from './podman.js';
import { parseQuantity } from './quantity.js';
import { resolvePort } from './probes.js';
import type { MountableVolume } from './volumes.js';

export interface ContainerPlan {
  pod: V1Pod;
  container: V1Container;
  podmanName: string;
  nodeName: string;
  env: ReadonlyMap<string, string>;
  volumes: ReadonlyMap<string, MountableVolume>;
  /** The podman pod the container joins (grouping; the network is `netnsPath`, or the pod's host network). */
  podmanPod: string;
  logPath: string;
  /** The pod's network namespace (/run/netns/…); undefined for hostNetwork pods (the podman pod's host network). */
  netnsPath?: string;
  /** Cluster DNS for dnsPolicy ClusterFirst. */
  dns?: ClusterDns;
}

export interface ClusterDns {
  server: string;
  clusterDomain: string;
}

/** resolv.conf as the kubelet writes it: podman's --dns, --dns-search and --dns-option arguments. */
export function dnsArgs(pod: V1Pod, dns: ClusterDns | undefined): string[] {
  const policy = pod.spec?.dnsPolicy ?? 'ClusterFirst';
  const ns = pod.metadata?.namespace ?? 'default';
  const cfg = pod.spec?.dnsConfig ?? {};
  const servers: string[] = [];
  const searches: string[] = [];
  const options: string[] = [];
  const cluster = dns && (policy === 'ClusterFirst' || (policy === 'ClusterFirstWithHostNet'));
  if (policy !== 'Default' && policy !== 'None' && !cluster) return []; // no cluster DNS configured: podman's default
  if (cluster) {
    servers.push(dns.server);
    searches.push(`${ns}.svc.${dns.clusterDomain}`, `svc.${dns.clusterDomain}`, dns.clusterDomain);
    options.push('ndots:5');
  }
  servers.push(...(cfg.nameservers ?? []));
  searches.push(...(cfg.searches ?? []));
  for (const o of cfg.options ?? []) options.push(o.value !== undefined ? `${o.name}:${o.value}` : o.name ?? '');
  return [
    ...servers.flatMap((s) => ['--dns', s]),
    ...searches.flatMap((s) => ['--dns-search', s]),
    ...options.filter((o) => o !== '').flatMap((o) => ['--dns-option', o]),
  ];
}

/**
 * The podman pod groups the pod's containers. Podman 4.3 cannot give a pod's infra container an existing
 * namespace ("pods presently do not support network mode path"), so a pod on the pod network has no infra
 * container and each container joins the pod's netns itself; a hostNetwork pod's infra has the host network.
 */
export function podmanPodName(pod: V1Pod): string {
  const m = pod.metadata ?? {};
  return `k8s_${m.name}_${m.namespace}_${(m.uid ?? '').slice(0, 8)}`;
}

export function podCreateArgs(pod: V1Pod, nodeName: string): string[] {
  const args = ['pod', 'create', '--name', podmanPodName(pod),
    '--label', `${NODE_LABEL}=${nodeName}`, '--label', `${POD_UID_LABEL}=${pod.metadata?.uid ?? ''}`];
  if (pod.spec?.hostNetwork) return [...args, '--network', 'host'];
  return [...args, '--infra=false'];
}

export function podmanName(pod: V1Pod, container: string): string {
  const m = pod.metadata ?? {};
  return `k8s_${container}_${m.name}_${m.namespace}_${(m.uid ?? '').slice(0, 8)}`;
}

/** Every TCP port of the pod: declared container ports and probe ports. */
export function podPorts(pod: V1Pod): number[] {
  const ports = new Set<number>();
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if ((p.protocol ?? 'TCP') === 'TCP') ports.add(p.containerPort);
    for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
      const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
      if (port !== undefined) {
        try { ports.add(resolvePort(port as number | string, c)); } catch { /* reported when the probe runs */ }
      }
    }
  }
  return [...ports].sort((a, b) => a - b);
}

export function createArgs(plan: ContainerPlan): string[] {
  const { pod, container: c } = plan;
  const spec = pod.spec;
  if (!spec) throw new ContainerConfigError('pod has no spec');
  const args = ['create', '--name', plan.podmanName,
    '--label', `${NODE_LABEL}=${plan.nodeName}`,
    '--label', `${POD_UID_LABEL}=${pod.metadata?.uid ?? ''}`,
    '--label', `${CONTAINER_LABEL}=${c.name}`,
    '--log-driver', 'k8s-file', '--log-opt', `path=${plan.logPath}`,
    '--pull', 'never',
  ];

  args.push('--pod', plan.podmanPod);
  if (plan.netnsPath) {
    args.push('--network', `ns:${plan.netnsPath}`, '--hostname', spec.hostname ?? pod.metadata?.name ?? 'pod');
  }
  if (plan.netnsPath || spec.dnsPolicy === 'ClusterFirstWithHostNet' || spec.dnsPolicy === 'None') args.push(...dnsArgs(pod, plan.dns));

  for (const [k, v] of plan.env) args.push('-e', `${k}=${v}`);
  if (c.workingDir) args.push('-w', c.workingDir);

  for (const m of c.volumeMounts ?? []) {
    const vol = plan.volumes.get(m.name);
    if (!vol) throw new ContainerConfigError(`container ${c.name}: volumeMount ${m.name} names no prepared volume`);
    const sub = m.subPath ?? (m.subPathExpr ? expand(m.subPathExpr, plan.env) : undefined);
    if (sub && (sub.startsWith('/') || sub.split('/').includes('..'))) throw new ContainerConfigError(`container ${c.name}: invalid subPath ${sub}`);
    const host = sub ? join(vol.hostPath, sub) : vol.hostPath;
    const ro = vol.forceReadOnly || m.readOnly === true;
    args.push('-v', `${host}:${m.mountPath}${ro ? ':ro' : ''}`);
  }

  const psc = spec.securityContext ?? {};
  const sc = c.securityContext ?? {};
  const user = sc.runAsUser ?? psc.runAsUser;
  const group = sc.runAsGroup ?? psc.runAsGroup;
  if (user !== undefined) args.push('--user', group !== undefined ? `${user}:${group}` : String(user));
  else if (group !== undefined) throw new ContainerConfigError(`container ${c.name}: runAsGroup without runAsUser is not supported on this node`);
  for (const g of [...(psc.supplementalGroups ?? []), ...(psc.fsGroup !== undefined ? [psc.fsGroup] : [])]) args.push('--group-add', String(g));
  if (sc.readOnlyRootFilesystem) args.push('--read-only');
  if (sc.privileged) args.push('--privileged');
  for (const cap of sc.capabilities?.drop ?? []) args.push('--cap-drop', cap.toUpperCase() === 'ALL' ? 'ALL' : cap);
  for (const cap of sc.capabilities?.add ?? []) args.push('--cap-add', cap);
  if (sc.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges');
  const seccomp = sc.seccompProfile ?? psc.seccompProfile;
  if (seccomp?.type === 'Unconfined') args.push('--security-opt', 'seccomp=unconfined');
  else if (seccomp?.type === 'Localhost') throw new ContainerConfigError(`container ${c.name}: Localhost seccomp profiles are not supported on this node`);
  // RuntimeDefault (and unset) is podman's default seccomp profile.

  const limits = c.resources?.limits ?? {};
  if (limits.memory !== undefined) args.push('--memory', String(Math.floor(parseQuantity(String(limits.memory)))));
  if (limits.cpu !== undefined) args.push('--cpus', String(parseQuantity(String(limits.cpu))));

  if (c.command && c.command.length > 0) {
    args.push('--entrypoint', JSON.stringify(c.command.map((s) => expand(s, plan.env))));
  }
  args.push(c.image ?? '');
  // `command` without `args` drops the image's CMD, as in Kubernetes: podman's --entrypoint does so too.
  if (c.args) args.push(...c.args.map((s) => expand(s, plan.env)));
  return args;
}
