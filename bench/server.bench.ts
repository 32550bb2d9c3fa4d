// Benchmarks the REAL agent server (server-image/bin/agent-server.js on the project's Node 24, started by
// test/support/server.ts) over loopback and PRINTS figures; it asserts nothing about durations. It only fails
// when the server answers wrongly (a bad status, bytes that differ), so a figure is never printed for broken
// behaviour. Every loop is bounded, a watchdog ends the run after WATCHDOG_MS, and every server, scripted
// model and temporary directory is removed on the way out (also on Ctrl-C).
// Run: `make bench` (or `tsx bench/server.bench.ts` with node_modules/.bin first on PATH).
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startScriptedOpenAIServer, type ScriptedServer } from '@agentworkspace/sdk';
import { call, ensureServerBuilt, NODE, startServer, type TestServer } from '../test/support/server.js';

const STARTUPS = 3;
const EXEC_WARMUP = 5;
const EXEC_N = 100;
const FILE_BYTES = 64 * 1024 * 1024;
const FILE_ROUNDS = 3;
const BASH_OUTPUT_BYTES = 200_000_000;
const CONVERSATIONS = 10;
const WATCHDOG_MS = 10 * 60_000;
const MiB = 1024 * 1024;

interface Row { figure: string; value: string }
const rows: Row[] = [];
const servers = new Set<TestServer>();
const models = new Set<ScriptedServer>();
const scratch = mkdtempSync(join(tmpdir(), 'agent-server-bench-'));

function record(figure: string, value: string): void {
  rows.push({ figure, value });
  console.log(`  ${figure}: ${value}`);
}

/** Nearest-rank percentile of an ascending list. */
function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

function latencySummary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `median ${ms(percentile(sorted, 50))}, p95 ${ms(percentile(sorted, 95))}, max ${ms(sorted[sorted.length - 1] as number)} (N=${sorted.length})`;
}

function median(samples: number[]): number {
  return percentile([...samples].sort((a, b) => a - b), 50);
}

/** A `VmXxx` line of /proc/<pid>/status in MiB. */
function procMemoryMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** Resets the peak-RSS mark (VmHWM) of `pid` so the next reading covers one phase; false when the kernel refuses. */
function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

function serverPid(server: TestServer): number {
  const pid = server.process.pid;
  if (pid === undefined) throw new Error('server process has no pid');
  return pid;
}

function expectOk(label: string, res: { status: number; body: unknown }): void {
  if (res.status < 200 || res.status >= 300) throw new Error(`${label}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
}

async function start(env: Record<string, string> = {}): Promise<TestServer> {
  const server = await startServer({ env });
  servers.add(server);
  return server;
}

async function stop(server: TestServer): Promise<void> {
  servers.delete(server);
  await server.stop();
}

/** Polls GET /ready until 200; bounded by `timeoutMs`. */
async function waitReady(server: TestServer, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${server.url}/ready`)).status === 200) return;
    } catch {
      // not accepting yet
    }
    if (Date.now() > deadline) throw new Error(`/ready not 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function benchStartup(): Promise<void> {
  const listening: number[] = [];
  const ready: number[] = [];
  for (let i = 0; i < STARTUPS; i++) {
    const t0 = performance.now();
    const server = await start();
    listening.push(performance.now() - t0);
    await waitReady(server);
    ready.push(performance.now() - t0);
    await stop(server);
  }
  record('spawn → "listening" log line', `median ${ms(median(listening))} (N=${STARTUPS})`);
  record('spawn → GET /ready 200', `median ${ms(median(ready))}, max ${ms(Math.max(...ready))} (N=${STARTUPS})`);
}

async function benchExecTrue(server: TestServer): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < EXEC_WARMUP + EXEC_N; i++) {
    const t0 = performance.now();
    const res = await call<{ exit_code: number | null }>(server, 'POST', '/api/bash/execute_bash_command', { json: { command: 'true' } });
    const elapsed = performance.now() - t0;
    expectOk('execute_bash_command true', res);
    if (res.body.exit_code !== 0) throw new Error(`true exited ${res.body.exit_code}`);
    if (i >= EXEC_WARMUP) samples.push(elapsed);
  }
  record('execute_bash_command `true` latency', latencySummary(samples));
}

async function benchFiles(server: TestServer): Promise<void> {
  const bytes = randomBytes(FILE_BYTES);
  const digest = createHash('sha256').update(bytes).digest('hex');
  const target = join(scratch, 'files', 'payload.bin');
  const headers = { 'X-Session-API-Key': server.key as string };
  const pid = serverPid(server);
  const peakReset = resetPeakRss(pid);
  const up: number[] = [];
  const down: number[] = [];
  for (let i = 0; i < FILE_ROUNDS; i++) {
    const form = new FormData();
    form.append('file', new Blob([bytes]), 'payload.bin');
    let t0 = performance.now();
    const res = await call(server, 'POST', `/api/file/upload?path=${encodeURIComponent(target)}`, { body: form });
    up.push(performance.now() - t0);
    expectOk('upload', res);

    t0 = performance.now();
    const got = await fetch(`${server.url}/api/file/download?path=${encodeURIComponent(target)}`, { headers });
    if (got.status !== 200 || !got.body) throw new Error(`download: HTTP ${got.status}`);
    const hash = createHash('sha256');
    let length = 0;
    for await (const chunk of got.body) {
      hash.update(chunk);
      length += chunk.length;
    }
    down.push(performance.now() - t0);
    if (length !== FILE_BYTES || hash.digest('hex') !== digest) throw new Error(`download: ${length} bytes, not the uploaded ones`);
  }
  const rate = (elapsedMs: number) => FILE_BYTES / MiB / (elapsedMs / 1000);
  const summary = (samples: number[]) =>
    `median ${rate(median(samples)).toFixed(0)} MiB/s, best ${rate(Math.min(...samples)).toFixed(0)} MiB/s (${FILE_BYTES / MiB} MiB, N=${FILE_ROUNDS})`;
  record('upload throughput (multipart)', summary(up));
  record('download throughput', summary(down));
  record(peakReset ? 'server peak RSS during uploads/downloads' : 'server peak RSS since start (clear_refs refused)',
    `${procMemoryMiB(pid, 'VmHWM').toFixed(0)} MiB`);
  rmSync(join(scratch, 'files'), { recursive: true, force: true });
}

/** Sums the stdout of one command's BashOutput event files (outside the timed part). */
function recordedStdoutBytes(server: TestServer, commandId: string): number {
  const dir = join(server.dataDir, 'bash_events');
  const hex = commandId.replace(/-/g, '');
  let total = 0;
  for (const name of readdirSync(dir)) {
    if (!name.includes('_BashOutput_') || !name.includes(hex)) continue;
    const event = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { stdout?: string | null };
    total += Buffer.byteLength(event.stdout ?? '');
  }
  return total;
}

async function benchBashOutput(server: TestServer): Promise<void> {
  const pid = serverPid(server);
  const rssBefore = procMemoryMiB(pid, 'VmRSS');
  const peakReset = resetPeakRss(pid);
  const line = 'x'.repeat(99);
  const command = `yes ${line} | head -c ${BASH_OUTPUT_BYTES}`;
  const t0 = performance.now();
  const res = await call<{ exit_code: number | null; command_id: string }>(server, 'POST', '/api/bash/execute_bash_command', { json: { command, timeout: 300 } });
  const elapsed = performance.now() - t0;
  expectOk('execute_bash_command 200 MB', res);
  if (res.body.exit_code !== 0) throw new Error(`200 MB command exited ${res.body.exit_code}`);
  const peak = procMemoryMiB(pid, 'VmHWM');
  const recorded = recordedStdoutBytes(server, res.body.command_id);
  if (recorded !== BASH_OUTPUT_BYTES) throw new Error(`recorded ${recorded} bytes of stdout, expected ${BASH_OUTPUT_BYTES}`);
  record('bash output throughput (recorded as events)',
    `${(BASH_OUTPUT_BYTES / 1e6 / (elapsed / 1000)).toFixed(0)} MB/s (${BASH_OUTPUT_BYTES / 1e6} MB in ${(elapsed / 1000).toFixed(2)} s)`);
  record(peakReset ? 'server peak RSS during it (VmHWM)' : 'server peak RSS since start (clear_refs refused)',
    `${peak.toFixed(0)} MiB (RSS before: ${rssBefore.toFixed(0)} MiB)`);
}

async function benchConversations(server: TestServer): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < CONVERSATIONS; i++) {
    // One scripted model per conversation, so each plays its script from the first turn.
    const model = await startScriptedOpenAIServer({
      script: {
        turns: [
          { tool_calls: [{ name: 'terminal', arguments: { command: 'echo bench' } }] },
          { tool_calls: [{ name: 'finish', arguments: { message: 'done' } }], expect_tool_result_contains: 'bench' },
        ],
      },
    });
    models.add(model);
    const workspace = join(scratch, `conversation-${i}`);
    const t0 = performance.now();
    const created = await call<{ id: string }>(server, 'POST', '/api/conversations', {
      json: {
        agent: {
          kind: 'Agent',
          llm: { model: 'openai/scripted', base_url: `${model.url}/v1`, api_key: 'sk-bench', usage_id: 'agent', num_retries: 0 },
          tools: [{ name: 'terminal', params: {} }],
        },
        workspace: { type: 'local', working_dir: workspace },
        initial_message: { content: [{ type: 'text', text: 'run echo bench, then finish' }] },
      },
    });
    if (created.status !== 201) throw new Error(`create conversation: HTTP ${created.status} ${JSON.stringify(created.body).slice(0, 500)}`);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const info = await call<{ execution_status: string }>(server, 'GET', `/api/conversations/${created.body.id}`);
      const status = info.body.execution_status;
      if (status === 'finished') break;
      if (status === 'error' || status === 'stuck') throw new Error(`conversation ended ${status}; model violations: ${model.player.violations.join('; ')}`);
      if (Date.now() > deadline) throw new Error(`conversation still ${status} after 30 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
    samples.push(performance.now() - t0);
    if (model.player.violations.length) throw new Error(`scripted model violations: ${model.player.violations.join('; ')}`);
    models.delete(model);
    await model.close();
  }
  record('conversation create → finished (2 model turns, 1 terminal call)', latencySummary(samples));
}

async function cleanup(): Promise<void> {
  await Promise.allSettled([...servers].map((s) => s.stop()));
  await Promise.allSettled([...models].map((m) => m.close()));
  servers.clear();
  models.clear();
  rmSync(scratch, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error(`bench: still running after ${WATCHDOG_MS / 60_000} minutes; giving up`);
    void cleanup().finally(() => process.exit(1));
  }, WATCHDOG_MS);
  watchdog.unref();
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

  ensureServerBuilt();
  const serverNode = execFileSync(NODE, ['--version'], { encoding: 'utf8' }).trim();
  console.log(`agent server benchmark — ${new Date().toISOString()}`);
  console.log(`nproc ${execFileSync('nproc', { encoding: 'utf8' }).trim()}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, `
    + `bench Node ${process.version}, server Node ${serverNode}; client and server share the machine, loopback only`);
  try {
    await benchStartup();
    // Output cap raised so the 200 MB command runs to its end (default 64 MiB kills it).
    const server = await start({ AGENT_SERVER_BASH_MAX_OUTPUT_BYTES: String(256 * MiB) });
    await benchExecTrue(server);
    await benchFiles(server);
    await benchBashOutput(server);
    await benchConversations(server);
    await stop(server);
  } finally {
    await cleanup();
  }
  const width = Math.max(...rows.map((r) => r.figure.length));
  console.log(`\n| ${'Figure'.padEnd(width)} | Value |`);
  console.log(`|${'-'.repeat(width + 2)}|-------|`);
  for (const row of rows) console.log(`| ${row.figure.padEnd(width)} | ${row.value} |`);
}

// Exits explicitly: the run is over even if a library left a handle open.
main().then(() => process.exit(0), (err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
