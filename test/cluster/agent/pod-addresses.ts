// Each pod gets its own loopback address, reported as status.podIP; its container ports are published
// there. The whole of 127.0.0.0/8 routes to the loopback interface, so no interface set-up is needed.
// 127.0.0.1 stays the node's own address (hostNetwork pods); pods take 127.<block>.0.10 upwards, where
// `block` (the second octet, AGENT_POD_ADDRESS_BLOCK) keeps the pods of two clusters on one machine
// from publishing ports on the same address.
export class PodAddresses {
  private readonly byPod = new Map<string, string>();
  private readonly inUse = new Set<string>();
  private next = 0;

  constructor(private readonly first = 10, private readonly count = 60_000, private readonly block = 0) {
    if (!Number.isInteger(block) || block < 0 || block > 255) throw new Error(`pod address block ${block} is not an octet (0-255)`);
    if (first + count > 65_536) throw new Error('the pod address pool must fit in one 127.<block>.0.0/16');
  }

  /** The pod's address, allocated on first call; stable until released. */
  acquire(podUid: string): string {
    const known = this.byPod.get(podUid);
    if (known) return known;
    for (let i = 0; i < this.count; i++) {
      const n = this.first + ((this.next + i) % this.count);
      const ip = `127.${this.block}.${(n >> 8) & 255}.${n & 255}`;
      if (n % 256 === 0 || n % 256 === 255 || this.inUse.has(ip)) continue;
      this.next = (this.next + i + 1) % this.count;
      this.inUse.add(ip);
      this.byPod.set(podUid, ip);
      return ip;
    }
    throw new Error('no free pod loopback address');
  }

  /** Claims a known address for a pod adopted after a restart; false when another pod holds it. */
  reserve(podUid: string, ip: string): boolean {
    if (this.byPod.get(podUid) === ip) return true;
    if (this.inUse.has(ip) || !ip.startsWith(`127.${this.block}.`)) return false;
    this.inUse.add(ip);
    this.byPod.set(podUid, ip);
    return true;
  }

  release(podUid: string): void {
    const ip = this.byPod.get(podUid);
    if (ip) this.inUse.delete(ip);
    this.byPod.delete(podUid);
  }
}
