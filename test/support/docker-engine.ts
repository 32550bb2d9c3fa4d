// A Docker Engine API for tests: podman's compatible service (`podman system service`), started by the test file's
// setup on a socket of its own with the repository's podman configuration (test/cluster/containers.conf: runc,
// cgroupfs, ulimits within this machine's limits) and stopped after it; DOCKER_HOST points at it for the SDK and
// for child processes. Under CI=true a missing podman fails the file; elsewhere the file is skipped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe } from '@jest/globals';
import { CONTAINERS_CONF } from './cluster.js';
import { ROOT } from './server.js';
import { waitFor } from './wait.js';

export const PODMAN_INSTALLED = spawnSync('podman', ['--version'], { stdio: 'ignore' }).status === 0;

/** `describe`, or `describe.skip` without podman outside CI (under CI=true the suite runs and fails in setup). */
export const describeWithDocker: (name: string, fn: () => void) => void = PODMAN_INSTALLED || process.env.CI === 'true' ? describe : describe.skip;

/** An idle service exits by itself after this long, so one orphaned by a killed test run does not stay. */
const IDLE_TIMEOUT_S = 600;

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export interface DockerEngineHandle {
  /** unix://…, also in process.env.DOCKER_HOST while the file runs. */
  dockerHost: string;
}

/** Starts the service in beforeAll and stops it in afterAll; returns the handle (filled in once started). */
export function usePodmanDockerService(): DockerEngineHandle {
  const handle: DockerEngineHandle = { dockerHost: '' };
  let child: ChildProcess | undefined;
  let socketPath = '';
  const previous = process.env.DOCKER_HOST;
  beforeAll(async () => {
    if (!PODMAN_INSTALLED) throw new Error('podman is not installed (apt-get install podman, or run test/cluster/prepare.sh): the Docker workspace tests need its Docker-compatible API');
    const dir = process.getuid?.() === 0 ? '/run' : (process.env.XDG_RUNTIME_DIR ?? tmpdir());
    socketPath = join(dir, `agentworkspace-docker-${basename(ROOT)}-${process.pid}.sock`);
    rmSync(socketPath, { force: true });
    const proc = spawn('podman', ['system', 'service', `--time=${IDLE_TIMEOUT_S}`, `unix://${socketPath}`], {
      env: { ...process.env, CONTAINERS_CONF }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = proc;
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4_000); });
    proc.on('error', (err) => { stderr += String(err); });
    const exited = new Promise<string>((resolve) => proc.on('exit', (code, signal) => resolve(`podman system service exited (${signal ?? code}): ${stderr}`)));
    await waitFor(() => ping(socketPath), `podman's Docker API on ${socketPath}`, { timeoutMs: 60_000, intervalMs: 100, failOn: exited });
    handle.dockerHost = `unix://${socketPath}`;
    process.env.DOCKER_HOST = handle.dockerHost;
  }, 90_000);
  afterAll(async () => {
    if (previous === undefined) delete process.env.DOCKER_HOST; else process.env.DOCKER_HOST = previous;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await gone;
    }
    if (socketPath) rmSync(socketPath, { force: true });
  });
  return handle;
}
