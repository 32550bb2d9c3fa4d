// The agent server beside the OS floor and (with --compare) beside the official OpenHands agent server, in one
// run: the same client, interleaved rounds (each round measures floor, ours, official in a rotating order),
// medians over the rounds. PRINTS one table and writes bench/results/server[-compare].json and .md; asserts
// nothing about durations, fails only when a server answers wrongly. Every loop is bounded; a watchdog ends
// the run; servers, models and temporary files are removed on the way out (also on Ctrl-C).
// Run: `make bench` / `make bench-compare` (BENCH_ROUNDS=5 by default).
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureServerBuilt, type TestServer } from '../../test/support/server.js';
import { describeMachine, sampleLoad } from '../lib/machine.js';
import { writeResults, type Table } from '../lib/results.js';
import { median, ms, percentile } from '../lib/stats.js';
import { createConversation, download, executeBash, fanout, healthRps, scriptedSteps, treeRssBytes, upload } from './figures.js';
import { copyFile, startBareServer, startSpawner, timedCurl } from './floor.js';
import { startRunner } from './runner.js';
import { startModelFront, type ModelFront } from './model-front.js';
import { officialOrReason } from './official.js';
import { baselineTargets } from './baseline.js';
import { ours, oursWithRunner, type BenchServer, type Target } from './targets.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const EXEC_PER_ROUND = 20;
const FILE_BYTES = 100 * 1024 * 1024;
const HEALTH_MS = 1_000;
const FANOUT = [{ subscribers: 1, events: 100 }, { subscribers: 10, events: 50 }, { subscribers: 100, events: 20 }];
const IDLE_CONVERSATIONS = 100;
const STEPS = 200;
const WATCHDOG_MS = 60 * 60_000;
const MiB = 1024 * 1024;
const FLOOR = 'floor';
const RUNNER = '`true` through a small runner process, a prototype';
const BARE_UPLOAD = 'upload 100 MB to a bare node:http server (raw body)';
const BARE_DOWNLOAD = 'download 100 MB from a bare node:http server';

/** samples[figure][side] = one value per sample (or per round). */
const samples: Record<string, Record<string, number[]>> = {};
function add(figure: string, side: string, ...values: number[]): void {
  ((samples[figure] ??= {})[side] ??= []).push(...values);
}

const scratch = mkdtempSync(join(tmpdir(), 'agent-server-bench-'));
const running = new Set<{ stop(): Promise<unknown> }>();
let front: ModelFront | undefined;

async function started<T extends { stop(): Promise<unknown> }>(thing: Promise<T>): Promise<T> {
  const t = await thing;
  running.add(t);
  return t;
}
async function stopped(thing: { stop(): Promise<unknown> }): Promise<void> {
  running.delete(thing);
  await thing.stop();
}

async function cleanup(): Promise<void> {
  await Promise.allSettled([...running].map((t) => t.stop()));
  running.clear();
  await front?.close();
  rmSync(scratch, { recursive: true, force: true });
}

/** Polls GET /ready until 200 (every 2 ms, bounded). */
async function waitReady(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await fetch(`${url}/ready`).then((r) => r.status, () => 0);
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url}/ready not 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Start → /ready, then RSS idle and with 100 idle conversations, of a fresh server. */
async function startupRound(target: Target, frontModel: ModelFront): Promise<void> {
  const t0 = performance.now();
  const server = await started(target.start());
  await waitReady(server.url);
  add('start → /ready 200', target.name, performance.now() - t0);
  await new Promise((r) => setTimeout(r, 1_000)); // let start-up work (imports, GC) settle before reading memory
  const rss = () => [server.process.pid as number, ...(server.companions ?? [])].reduce((sum, pid) => sum + treeRssBytes(pid), 0) / MiB;
  add('RSS idle', target.name, rss());
  const dir = join(scratch, `${target.name}-idle`);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < IDLE_CONVERSATIONS; i++) await createConversation(server, frontModel, dir);
  add(`RSS with ${IDLE_CONVERSATIONS} idle conversations`, target.name, rss());
  await stopped(server);
}

async function floorStartupRound(): Promise<void> {
  const t0 = performance.now();
  const bare = await started(startBareServer());
  await waitReady(bare.url);
  add('start → /ready 200', FLOOR, performance.now() - t0);
  await new Promise((r) => setTimeout(r, 1_000));
  add('RSS idle', FLOOR, treeRssBytes(bare.process.pid as number) / MiB);
  await stopped(bare);
}

/**
 * Writes `bytes` random bytes to `path` 1 MiB at a time and returns their sha256. The benchmark process never holds
 * the file: a process with 100 MB more resident memory spawns `bash -c true` several times slower (fork copies its
 * page tables), which would make the floor look slow.
 */
function writeRandomFile(path: string, bytes: number): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes; written += MiB) {
      const chunk = randomBytes(Math.min(MiB, bytes - written));
      hash.update(chunk);
      writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Runs `fns` in an order rotated by `round`, so no side is always measured first. */
async function rotated(round: number, fns: Array<() => Promise<void>>): Promise<void> {
  for (let i = 0; i < fns.length; i++) await (fns[(i + round) % fns.length] as () => Promise<void>)();
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error(`bench: still running after ${WATCHDOG_MS / 60_000} minutes; giving up`);
    void cleanup().finally(() => process.exit(1));
  }, WATCHDOG_MS);
  watchdog.unref();
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

  const compare = process.argv.includes('--compare');
  ensureServerBuilt();
  const targets: Target[] = [ours(), oursWithRunner()];
  const baseline = process.env.BENCH_BASELINE;
  if (baseline) targets.push(...baselineTargets(baseline, targets[0]?.version as string));
  const notes: string[] = [];
  if (compare) {
    const official = await officialOrReason();
    if (typeof official === 'string') notes.push(`**The official server is not measured**: ${official}. Ours is printed alone.`);
    else targets.push(official);
  }
  const load = sampleLoad();
  console.log(`agent server benchmark — ${new Date().toISOString()}, ${ROUNDS} rounds, sides: ${[FLOOR, ...targets.map((t) => t.name)].join(', ')}`);

  front = await startModelFront();
  const frontModel = front;
  const payload = join(scratch, 'payload.bin');
  const digest = writeRandomFile(payload, FILE_BYTES);
  const long = new Map<string, BenchServer>();
  for (const target of targets) long.set(target.name, await started(target.start()));
  const bare = await started(startBareServer());
  const spawner = await started(Promise.resolve(startSpawner()));
  const runner = await started(startRunner(scratch));
  for (const server of long.values()) await waitReady(server.url);
  // Warm-up, outside the figures: the first requests load modules and JIT both sides.
  for (let i = 0; i < 5; i++) {
    await spawner.run('true');
    await runner.run('true');
    for (const server of long.values()) await executeBash(server, 'true');
  }

  for (let round = 0; round < ROUNDS; round++) {
    console.log(`round ${round + 1}/${ROUNDS} (load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}, benchmark RSS ${(process.memoryUsage.rss() / MiB).toFixed(0)} MiB)`);
    const sides: Array<{ name: string; server?: BenchServer; target?: Target }> = [
      { name: FLOOR }, ...targets.map((t) => ({ name: t.name, server: long.get(t.name), target: t })),
    ];
    /** The sides of the figures the runner plays no part in (transfers, /health, fan-out). */
    const served = sides.filter((s) => !s.target?.commandsOnly);
    await rotated(round, sides.map((s) => async () => {
      for (let i = 0; i < EXEC_PER_ROUND; i++) {
        add('execute_bash_command `true`', s.name, s.server ? await executeBash(s.server, 'true') : await spawner.run('true'));
        if (!s.server) add(RUNNER, FLOOR, await runner.run('true'));
      }
    }));
    await rotated(round, served.map((s) => async () => {
      const dest = join(scratch, `${s.name}.bin`);
      if (!s.server) {
        add('upload 100 MB', FLOOR, await copyFile(payload, dest));
        add('download 100 MB', FLOOR, samples['upload 100 MB']?.[FLOOR]?.at(-1) as number);
        add(BARE_UPLOAD, FLOOR, await timedCurl(['-X', 'POST', '-T', payload, '-o', '/dev/null', `${bare.url}/upload?path=${encodeURIComponent(`${dest}.bare`)}`]));
        add(BARE_DOWNLOAD, FLOOR, await timedCurl(['-o', `${dest}.down`, `${bare.url}/download?path=${encodeURIComponent(`${dest}.bare`)}`]));
        rmSync(`${dest}.bare`, { force: true });
        rmSync(`${dest}.down`, { force: true });
      } else {
        add('upload 100 MB', s.name, await upload(s.server, payload, dest));
        add('download 100 MB', s.name, await download(s.server, dest, `${dest}.down`, digest));
        rmSync(`${dest}.down`, { force: true });
      }
      rmSync(dest, { force: true });
    }));
    for (const concurrency of [1, 32]) {
      await rotated(round, served.map((s) => async () => {
        add(`/health, ${concurrency} client${concurrency > 1 ? 's' : ''}`, s.name, await healthRps(s.server?.url ?? bare.url, concurrency, HEALTH_MS));
      }));
    }
    for (const { subscribers, events } of FANOUT) {
      await rotated(round, served.filter((s) => s.server).map((s) => async () => {
        const result = await fanout(s.server as TestServer, frontModel, scratch, subscribers, events);
        add(`fan-out to ${subscribers}: deliveries/s`, s.name, result.deliveriesPerSecond);
        add(`fan-out to ${subscribers}: creation → delivery`, s.name, ...result.latencies);
      }));
    }
    await rotated(round, sides.map((s) => async () => {
      if (!s.target) await floorStartupRound();
      else await startupRound(s.target, frontModel);
    }));
    await rotated(round, sides.filter((s) => s.server).map((s) => async () => {
      const result = await scriptedSteps(s.server as TestServer, frontModel, scratch, STEPS);
      add(`${STEPS}-step conversation: overhead per step`, s.name, result.overheadPerStepMs);
      add(`${STEPS}-step conversation: total`, s.name, result.totalMs);
    }));
  }
  for (const server of [...long.values(), bare, spawner, runner]) await stopped(server);
  const machine = describeMachine(load.stop(), Object.fromEntries(targets.map((t) => [t.name, t.version])));
  writeResults(compare ? 'server-compare' : 'server', table(targets, notes), machine, samples);
}

type Kind = 'latency' | 'rate' | 'value';
const MB_PER_S = (msValue: number) => FILE_BYTES / MiB / (msValue / 1000);

/** The runner prototype's p50 against the floor's. */
function runnerRatio(): string {
  const runner = samples[RUNNER]?.[FLOOR];
  const floor = samples['execute_bash_command `true`']?.[FLOOR];
  return runner?.length && floor?.length ? `its p50 is ${(percentile(runner, 50) / percentile(floor, 50)).toFixed(2)}× the floor's` : 'not measured';
}

/** The rows: each figure's median (and spread) per side, and the ratios. */
function table(targets: Target[], notes: string[]): Table {
  const sides = [FLOOR, ...targets.map((t) => t.name)];
  /** The sides ours is divided by besides the floor: the baseline build, the official server. */
  const others = targets.filter((t) => t.name !== 'ours' && !t.commandsOnly);
  /** The runner configuration's baseline build (`ours+runner@<ref>`): ours+runner is divided by it. */
  const runnerBaselines = targets.filter((t) => t.commandsOnly && t.name !== 'ours+runner');
  const official = targets.find((t) => t.name === 'official');
  const label = (t: Target) => (t.name === 'official' ? 'official 1.58.2' : t.name);
  const figure = (name: string, kind: Kind, format: (v: number) => string, transform: (v: number) => number = (v) => v) => {
    const cells: Record<string, { value: number; text: string } | undefined> = {};
    for (const side of sides) {
      const values = samples[name]?.[side]?.map(transform);
      if (!values?.length) continue;
      if (kind === 'latency') cells[side] = { value: percentile(values, 50), text: `${format(percentile(values, 50))} / ${format(percentile(values, 99))}` };
      else cells[side] = { value: median(values), text: `${format(median(values))} (${format(Math.min(...values))}–${format(Math.max(...values))})` };
    }
    const ratioCell = (a?: { value: number }, b?: { value: number }) => (a && b ? `${(a.value / b.value).toFixed(2)}×` : '—');
    const row = [kind === 'latency' ? `${name} (p50 / p99)` : name, ...sides.map((s) => cells[s]?.text ?? '—')];
    for (const t of targets) row.push(ratioCell(cells[t.name], cells[FLOOR]));
    for (const t of others) row.push(ratioCell(cells.ours, cells[t.name]));
    for (const t of runnerBaselines) row.push(ratioCell(cells['ours+runner'], cells[t.name]));
    if (official) row.push(ratioCell(cells['ours+runner'], cells.official));
    return row;
  };
  const mibps = (v: number) => `${v.toFixed(0)} MiB/s`;
  const rps = (v: number) => `${v.toFixed(0)}/s`;
  const mib = (v: number) => `${v.toFixed(0)} MiB`;
  const rows = [
    figure('execute_bash_command `true`', 'latency', ms),
    figure(RUNNER, 'latency', ms), // measured on the floor side only: its figure sits in the floor column
    figure('upload 100 MB', 'rate', mibps, MB_PER_S),
    figure('download 100 MB', 'rate', mibps, MB_PER_S),
    figure(BARE_UPLOAD, 'rate', mibps, MB_PER_S), // floor side only, like the runner
    figure(BARE_DOWNLOAD, 'rate', mibps, MB_PER_S),
    figure('/health, 1 client', 'rate', rps),
    figure('/health, 32 clients', 'rate', rps),
    ...FANOUT.flatMap(({ subscribers }) => [
      figure(`fan-out to ${subscribers}: deliveries/s`, 'rate', rps),
      figure(`fan-out to ${subscribers}: creation → delivery`, 'latency', ms),
    ]),
    figure('start → /ready 200', 'value', ms),
    figure('RSS idle', 'value', mib),
    figure(`RSS with ${IDLE_CONVERSATIONS} idle conversations`, 'value', mib),
    figure(`${STEPS}-step conversation: overhead per step`, 'value', ms),
    figure(`${STEPS}-step conversation: total`, 'value', ms),
  ];
  const columns = ['Figure', 'OS floor', ...targets.map(label),
    ...targets.map((t) => `${t.name} ÷ floor`), ...others.map((t) => `ours ÷ ${t.name}`), ...runnerBaselines.map((t) => `ours+runner ÷ ${t.name}`), ...(official ? ['ours+runner ÷ official'] : [])];
  return {
    title: `Agent server: OS floor, ${targets.map(label).join(', ')}`,
    columns, rows,
    notes: [
      ...notes,
      'Reading the ratios: for times and memory below 1× is better than the baseline; for rates (MiB/s, requests and deliveries per second) above 1× is.',
      `${ROUNDS} interleaved rounds (each round measures every side in a rotating order); a cell is the median over the rounds with the range across rounds in brackets, or p50 / p99 over all samples (${EXEC_PER_ROUND} commands per round; every delivery of every event).`,
      'OS floor: `bash -c true` spawned and timed by a fresh Node 24 process (the benchmark process, at ~400 MiB, spawns several times slower: fork copies page tables); `cp` of the same 100 MB file (upload and download both divide by it); a bare node:http server (Node 24, no framework, no auth) in its own process for /health, start → first 200 and RSS idle.',
      `${RUNNER}: the benchmark process asks a fresh Node 24 process over a unix socket to run \`bash -c true\` with its output piped (as the server must), and waits for the exit code and output: a prototype of delegating the spawn to a small process (ours forks itself, ~110 MiB, and fork copies page tables). Its floor column is its figure; ${runnerRatio()}.`,
      'ours+runner: our server as a workspace pod runs it, with OH_SANDBOX_SOCKET set for it and for the real sandbox runner (`node server-image/dist/sandbox/main.js`, its own Node 24 process) listening on that socket: every process the server starts (the bash routes, the terminal tool\'s shell) is spawned by the runner, one WebSocket over the unix socket per process. Measured for what starts processes (the command round trip, the 200-step conversation), start → /ready (both started together) and RSS (server and runner); transfers, /health and fan-out run the same code as ours and are not measured again.',
      'Upload is multipart (`curl -F`, streamed from disk); download is `curl -o` to a file, its hash checked after the clock stops; both include the client (curl, its own process) on the same 2 cores. The bare node:http rows (in the floor column) are the same curl against the bare server writing the raw body to the file (`curl -T`, no multipart) and streaming it back: what node:http itself reaches here.',
      `Fan-out: subscribers on /sockets/events (both servers admit 50 per conversation and the official one counts two of its own, so at most 48 share one here: 100 are three conversations of 34/33/33); ${FANOUT.map((f) => `${f.events} events to ${f.subscribers}`).join(', ')}, posted one after another as user messages with run=false; latency is from the POST's start to each subscriber's frame; deliveries/s = events × subscribers ÷ (first post → last delivery).`,
      'start → /ready 200: spawn until /ready first answers 200 (polled every 2 ms once the harness saw the server up: ours logs "listening", the official harness polls /alive every 200 ms, which adds up to 200 ms to its figure). RSS is of the server process and its descendants, 1 s after ready, then after 100 conversations created (no message, nothing run).',
      `${STEPS}-step conversation: ${STEPS - 1} terminal calls of \`echo step-<i>\` then finish, against the SDK's scripted model behind a timing front; overhead per step = (create → finished − the model's own answer time) ÷ ${STEPS}. Its floor column is nothing; compare it with the floor of \`true\` above (each step runs one command).`,
    ],
  };
}

// Exits explicitly: the run is over even if a library left a handle open.
main().finally(cleanup).then(() => process.exit(0), (err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
