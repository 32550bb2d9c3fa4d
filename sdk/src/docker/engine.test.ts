import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import Docker from 'dockerode';
import { connectEngine, engineKind } from './engine.js';
import { DockerDaemonError } from './errors.js';

describe('connectEngine', () => {
  it('with nothing at DOCKER_HOST is a DockerDaemonError naming it and how to start an engine', async () => {
    const socketPath = join(tmpdir(), `no-engine-${process.pid}.sock`);
    const failure = await connectEngine(new Docker({ socketPath }), { DOCKER_HOST: `unix://${socketPath}` }).then(() => undefined, (e: unknown) => e);
    expect(failure).toBeInstanceOf(DockerDaemonError);
    expect(failure).toMatchObject({ endpoint: `unix://${socketPath}` });
    expect((failure as Error).message).toContain(socketPath);
    expect((failure as Error).message).toMatch(/ENOENT.*systemctl start docker.*podman system service/s);
  });
});

describe('engineKind', () => {
  it.each([
    [{ Components: [{ Name: 'Podman Engine' }] }, {}, 'podman'],
    [{ Components: [{ Name: 'Engine' }] }, { OperatingSystem: 'Docker Desktop' }, 'docker-desktop'],
    [{ Components: [{ Name: 'Engine' }] }, { OperatingSystem: 'Ubuntu 24.04 LTS' }, 'docker'],
  ])('%j %j → %s', (version, info, kind) => {
    expect(engineKind(version, info)).toBe(kind);
  });
});
