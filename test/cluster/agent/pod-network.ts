// Each pod's network, as a CNI bridge plugin would make it: a network namespace of its own
// (/run/netns/<prefix><pod uid>), a veth pair whose node end is a port of the cluster's bridge in the node
// netns (test/cluster/network.sh made both) and whose pod end is eth0 with the pod's address and a default
// route via the bridge's address. The pod's containers join that namespace (`podman create --network ns:…`).
// Deleting the namespace deletes the pod end of the veth pair, and with it the node end.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { prefixLength } from './pod-addresses.js';

export interface PodNetworkConfig {
  /** The node's network namespace (holds the bridge). */
  nodeNetns: string;
  bridge: string;
  /** Pod namespaces are `<prefix><pod uid>`; the prefix is the cluster's (aw<N>-p-), so clusters never meet. */
  netnsPrefix: string;
  /** The pods' range, e.g. 10.244.0.0/24. */
  cidr: string;
  /** The bridge's address: every pod's default route. */
  gateway: string;
}

export class NetworkError extends Error {
  override readonly name = 'NetworkError';
}

function ip(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new NetworkError(`ip ${args.join(' ')} failed: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}

export class PodNetwork {
  constructor(readonly cfg: PodNetworkConfig) {}

  netnsName(uid: string): string {
    return `${this.cfg.netnsPrefix}${uid}`;
  }

  netnsPath(uid: string): string {
    return `/run/netns/${this.netnsName(uid)}`;
  }

  exists(uid: string): boolean {
    return existsSync(this.netnsPath(uid));
  }

  /** The node end's name: unique on the bridge (15 characters at most, the kernel's limit). */
  private vethName(uid: string): string {
    return `veth${uid.replace(/-/g, '').slice(0, 11)}`;
  }

  /** (Re)creates the pod's namespace with `address` on eth0; anything left from before is removed first. */
  async setUp(uid: string, address: string): Promise<void> {
    await this.tearDown(uid);
    const ns = this.netnsName(uid);
    const veth = this.vethName(uid);
    const node = this.cfg.nodeNetns;
    await ip(['netns', 'add', ns]);
    try {
      await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      await ip(['-n', node, 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await ip(['-n', node, 'link', 'set', veth, 'master', this.cfg.bridge]);
      // Hairpin: a pod reaching itself through a Service VIP gets its packets back through its own port.
      await ip(['-n', node, 'link', 'set', veth, 'type', 'bridge_slave', 'hairpin', 'on']);
      await ip(['-n', node, 'link', 'set', veth, 'up']);
      await ip(['-n', ns, 'addr', 'add', `${address}/${prefixLength(this.cfg.cidr)}`, 'dev', 'eth0']);
      await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      await ip(['-n', ns, 'route', 'add', 'default', 'via', this.cfg.gateway, 'dev', 'eth0']);
    } catch (err) {
      await this.tearDown(uid);
      throw err;
    }
  }

  async tearDown(uid: string): Promise<void> {
    if (this.exists(uid)) await ip(['netns', 'del', this.netnsName(uid)]).catch(() => undefined);
    // The node end goes with the pod end; this only matters when a set-up failed half-way.
    await ip(['-n', this.cfg.nodeNetns, 'link', 'del', this.vethName(uid)]).catch(() => undefined);
  }

  /** The pod uids whose namespaces exist on this node (to adopt or to collect). */
  list(): string[] {
    let names: string[];
    try {
      names = readdirSync('/run/netns');
    } catch {
      return [];
    }
    return names.filter((n) => n.startsWith(this.cfg.netnsPrefix)).map((n) => n.slice(this.cfg.netnsPrefix.length));
  }
}
