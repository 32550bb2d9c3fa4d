// A quick driver for the command round trip, to find where it goes: starts ours+runner (and, with PROFILE_OURS=1,
// ours alone) and the floor's spawner, then runs each side PROFILE_N times, interleaved, and prints p50 / p90 and
// the ratios to the floor. Beside them, the parts: `GET /health` on the same server through the same client (HTTP
// and the client), and `bash -c true` launched straight through a RunnerLauncher from this process on the same
// runner (the runner and its protocol, no server). With PROFILE_CPU=<dir> our servers and the runner run with
// --cpu-prof into <dir> (written when they stop). Run: tsx bench/server/profile-commands.ts
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RunnerLauncher } from '../../server-image/src/sandbox/runner-launcher.js';
import { call } from '../../test/support/server.js';
import { baselineTargets } from './baseline.js';
import { startSpawner } from './floor.js';
import { executeBash } from './figures.js';
import { startRunner } from './runner.js';
import { ours, oursWithRunner, type BenchServer } from './targets.js';

const N = Number(process.env.PROFILE_N ?? 200);
const cpuDir = process.env.PROFILE_CPU;
if (cpuDir) {
  mkdirSync(cpuDir, { recursive: true });
  process.env.BENCH_SERVER_NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${cpuDir}`;
}

const withRunner = await oursWithRunner().start();
const launcher = new RunnerLauncher(withRunner.socketPath as string);
const spawner = startSpawner();

const phases = { spawn: [] as number[], exit: [] as number[] };
const spareStates: Record<number, number> = {};
function launchTrue(): Promise<number> {
  const spare = (launcher as unknown as { spare?: { readyState: number } }).spare;
  spareStates[spare?.readyState ?? -1] = (spareStates[spare?.readyState ?? -1] ?? 0) + 1;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const p = launcher.launch('/bin/bash', ['-c', 'true'], { cwd: '/tmp', env: { PATH: process.env.PATH } });
    p.stdout.resume();
    p.stderr.resume();
    p.on('error', reject);
    if (process.env.PROFILE_PHASES) {
      p.once('spawn', () => phases.spawn.push(performance.now() - t0));
      p.once('exit', () => phases.exit.push(performance.now() - t0));
    }
    p.on('close', (code: number) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`exit ${code}`))));
  });
}
async function health(server: BenchServer): Promise<number> {
  const t0 = performance.now();
  const res = await call(server, 'GET', '/health');
  if (res.status !== 200) throw new Error(`/health ${res.status}`);
  return performance.now() - t0;
}

const sides: Array<{ name: string; run: () => Promise<number>; samples: number[] }> = [
  { name: 'floor', run: () => spawner.run('true'), samples: [] },
  { name: 'ours+runner', run: () => executeBash(withRunner, 'true'), samples: [] },
  { name: '  launcher→runner', run: launchTrue, samples: [] },
  { name: '  GET /health', run: () => health(withRunner), samples: [] },
];
const protoDir = mkdtempSync(join(tmpdir(), 'bench-proto-'));
const proto = await startRunner(protoDir);
sides.push({ name: '  prototype runner', run: () => proto.run('true'), samples: [] });
// PROFILE_BASELINE=<ref>: that ref's ours+runner too (baseline.ts), interleaved command by command with this one's.
const stopLater: BenchServer[] = [];
if (process.env.PROFILE_BASELINE) {
  const target = baselineTargets(process.env.PROFILE_BASELINE, 'baseline')[1]!;
  const server = await target.start();
  stopLater.push(server);
  sides.push({ name: target.name, run: () => executeBash(server, 'true'), samples: [] });
}
let alone: BenchServer | undefined;
if (process.env.PROFILE_OURS === '1') {
  const server = (alone = await ours().start());
  sides.push({ name: 'ours', run: () => executeBash(server, 'true'), samples: [] });
}
for (const s of sides) for (let i = 0; i < 10; i++) await s.run();
for (let i = 0; i < N; i++) for (const s of sides) s.samples.push(await s.run());
// CPU per command of each process (utime + stime from /proc, clock ticks of 10 ms: over PROFILE_N commands).
const cpuMs = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const pids = { server: withRunner.process.pid as number, runner: withRunner.companions![0]!, bench: process.pid };
for (const [label, run] of [['ours+runner command', () => executeBash(withRunner, 'true')], ['launcher→runner', launchTrue], ['GET /health', () => health(withRunner)]] as const) {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
  for (let i = 0; i < N; i++) await run();
  console.log(`CPU per ${label}:`, Object.entries(pids).map(([k, pid]) => `${k} ${((cpuMs(pid) - before[k]!) / N).toFixed(2)} ms`).join(', '));
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] as number;
const floor = pct(sides[0]!.samples, 0.5);
for (const s of sides) {
  console.log(`${s.name.padEnd(18)} p50 ${pct(s.samples, 0.5).toFixed(2)} ms  p90 ${pct(s.samples, 0.9).toFixed(2)} ms  ÷ floor ${(pct(s.samples, 0.5) / floor).toFixed(2)}×`);
}
if (process.env.PROFILE_PHASES) console.log(`launcher: spawned ${pct(phases.spawn, 0.5).toFixed(2)} ms, exit ${pct(phases.exit, 0.5).toFixed(2)} ms, spare states ${JSON.stringify(spareStates)}`);
await spawner.stop();
await proto.stop();
await withRunner.stop();
await alone?.stop();
for (const server of stopLater) await server.stop();
