// Each pod gets an address of the cluster's pod range (test/cluster/network.sh, e.g. 10.244.0.0/24), reported
// as status.podIP. The range's first address is the bridge (the pods' gateway) and its last the broadcast
// address; pods take the rest.

const toInt = (ip: string): number => {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
};
const toIp = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

export function prefixLength(cidr: string): number {
  const bits = Number(cidr.split('/')[1]);
  if (!Number.isInteger(bits) || bits < 8 || bits > 30) throw new Error(`unsupported pod range ${cidr}`);
  return bits;
}

export class PodAddresses {
  private readonly byPod = new Map<string, string>();
  private readonly inUse = new Set<string>();
  private readonly base: number;
  private readonly size: number;
  private next = 0;

  /** `reserved`: addresses of the range no pod may have (the gateway). */
  constructor(cidr: string, private readonly reserved: readonly string[] = []) {
    const bits = prefixLength(cidr);
    this.size = 2 ** (32 - bits);
    this.base = (toInt(cidr.split('/')[0] ?? '') & ~(this.size - 1)) >>> 0;
  }

  /** Whether the address is one a pod of this range may hold. */
  contains(ip: string): boolean {
    let n: number;
    try { n = toInt(ip); } catch { return false; }
    const off = n - this.base;
    return off > 0 && off < this.size - 1 && !this.reserved.includes(ip);
  }

  /** The pod's address, allocated on first call; stable until released. */
  acquire(podUid: string): string {
    const known = this.byPod.get(podUid);
    if (known) return known;
    const hosts = this.size - 2;
    for (let i = 0; i < hosts; i++) {
      const ip = toIp(this.base + 1 + ((this.next + i) % hosts));
      if (this.inUse.has(ip) || !this.contains(ip)) continue;
      this.next = (this.next + i + 1) % hosts;
      this.inUse.add(ip);
      this.byPod.set(podUid, ip);
      return ip;
    }
    throw new Error('no free pod address');
  }

  /** Claims a known address for a pod adopted after a restart; false when another pod holds it. */
  reserve(podUid: string, ip: string): boolean {
    if (this.byPod.get(podUid) === ip) return true;
    if (this.inUse.has(ip) || !this.contains(ip)) return false;
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
