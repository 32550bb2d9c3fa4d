import { describe, expect, it } from '@jest/globals';
import { containerSpec, folderUser } from './container-spec.js';
import { LABEL_KEEP_ALIVE, LABEL_MANAGED, LABEL_OWNER_PID } from './labels.js';
import { networkPlan } from './network.js';
import { DockerWorkspaceOptionsSchema } from './options.js';

const local = { kind: 'docker', rootless: false, local: true } as const;
const owner = (uid: number, gid: number) => () => ({ uid, gid });

describe('folderUser: the container runs as the owner of the folder mounted at workingDir', () => {
  const mounted = DockerWorkspaceOptionsSchema.parse({ mounts: [{ source: '/home/me/project', target: '/workspace/' }] });
  it.each([
    ['a folder owned by a user', mounted, local, owner(1000, 1000), { user: '1000:1000', usernsMode: undefined }],
    ['a root-owned folder keeps the image\'s user', mounted, local, owner(0, 0), { user: undefined, usernsMode: undefined }],
    ['a remote engine keeps the image\'s user', mounted, { ...local, local: false }, owner(1000, 1000), { user: undefined, usernsMode: undefined }],
    ['rootless podman maps the owner with keep-id', mounted, { kind: 'podman', rootless: true, local: true }, owner(1000, 1000), { user: '1000:1000', usernsMode: 'keep-id' }],
    ['rootless Docker: container root is the user', mounted, { kind: 'docker', rootless: true, local: true }, owner(1000, 1000), { user: '0:0', usernsMode: undefined }],
    ['no mount at workingDir', DockerWorkspaceOptionsSchema.parse({ mounts: [{ source: '/data', target: '/data' }] }), local, owner(1000, 1000), { user: undefined, usernsMode: undefined }],
    ['an explicit user wins', DockerWorkspaceOptionsSchema.parse({ user: '5:6', mounts: [{ source: '/p', target: '/workspace' }] }), local, owner(1000, 1000), { user: '5:6', usernsMode: undefined }],
  ] as const)('%s', (_case, options, engine, stat, expected) => {
    expect(folderUser(options, engine, stat)).toEqual(expected);
  });
});

describe('containerSpec', () => {
  const options = DockerWorkspaceOptionsSchema.parse({
    env: { A: '1' }, forwardEnv: ['LLM_API_KEY', 'UNSET'], mounts: [{ source: '/p', target: '/workspace', readOnly: true }], platform: 'linux/amd64',
  });
  const spec = containerSpec({
    options, image: 'img', name: 'n', sessionApiKey: 'secret-key', plan: networkPlan('podman', 'bridge', true),
    user: { user: '1000:1000', usernsMode: undefined }, env: { LLM_API_KEY: 'sk-x' },
  });

  it('publishes the server port on 127.0.0.1 only, a free port when none is given', () => {
    expect(spec.body.ExposedPorts).toEqual({ '8000/tcp': {} });
    expect((spec.body.HostConfig as Record<string, unknown>).PortBindings).toEqual({ '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
  });

  it('passes the key, the given and forwarded variables (those set) in the body; the URL query has only name and platform', () => {
    expect(spec.query).toEqual({ name: 'n', platform: 'linux/amd64' });
    expect(spec.body.Env).toEqual(['LLM_API_KEY=sk-x', 'A=1', 'OH_SESSION_API_KEYS_0=secret-key']);
  });

  it('mounts, user, network and the reaper\'s labels', () => {
    expect(spec.body).toMatchObject({
      Image: 'img', User: '1000:1000',
      HostConfig: { Mounts: [{ Type: 'bind', Source: '/p', Target: '/workspace', ReadOnly: true }], NetworkMode: 'slirp4netns:allow_host_loopback=true', ExtraHosts: ['host.docker.internal:10.0.2.2'] },
      Labels: { [LABEL_MANAGED]: 'true', [LABEL_KEEP_ALIVE]: 'false', [LABEL_OWNER_PID]: String(process.pid) },
    });
  });

  it('on the host network the server listens on 127.0.0.1:<port> and nothing is published', () => {
    const host = containerSpec({
      options: DockerWorkspaceOptionsSchema.parse({ network: 'host' }), image: 'img', name: 'n', sessionApiKey: 'k',
      plan: networkPlan('docker', 'host', true), hostNetworkPort: 41234, user: { user: undefined, usernsMode: undefined },
    });
    expect(host.body.Env).toEqual(expect.arrayContaining(['AGENT_SERVER_HOST=127.0.0.1', 'AGENT_SERVER_PORT=41234']));
    expect(host.body.ExposedPorts).toBeUndefined();
    expect(host.body).toMatchObject({ HostConfig: { NetworkMode: 'host' } });
    expect((host.body.HostConfig as Record<string, unknown>).PortBindings).toBeUndefined();
    expect(host.body.User).toBeUndefined();
  });
});
