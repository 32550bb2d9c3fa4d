// A benchmark program's life: main() runs, then every registered cleanup (namespaces, operators, clusters'
// helpers), newest first, also on Ctrl-C; a failure prints its stack and exits 1.
const cleanups: Array<() => Promise<unknown>> = [];

/** Registers work to undo when the benchmark ends (newest first); a failing cleanup does not stop the others. */
export function onCleanup(fn: () => Promise<unknown>): void {
  cleanups.push(fn);
}

async function cleanup(): Promise<void> {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  cleanups.length = 0;
}

/** Runs `main` as the program: exit 0 after it and the cleanups, 130 on SIGINT, 1 (with `name` and the stack) on failure. */
export function runBench(name: string, main: () => Promise<void>): void {
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  main().finally(cleanup).then(() => process.exit(0), (err: unknown) => {
    console.error(`${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  });
}
