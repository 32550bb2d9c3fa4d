// Polling in benchmarks: unlike the tests' waitFor, a probe's error ends the wait at once (a benchmark stops on
// the first failure), and any defined value counts (a figure of 0 ms included).

/** Resolves with the first defined value of `probe`, polled every `intervalMs`; rejects after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, intervalMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
