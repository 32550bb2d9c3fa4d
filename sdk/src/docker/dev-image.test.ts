import { describe, expect, it } from '@jest/globals';
import { devImageDockerfile, devImageTag } from './dev-image.js';

const server = {
  Config: {
    Env: ['PATH=/usr/local/bin:/usr/bin', 'NODE_ENV=production', 'HOME=/workspace', 'OH_WORKSPACE_PATH=/workspace/project'],
    Cmd: ['node', '/app/server-image/dist/main.js'], User: '10001:10001', WorkingDir: '/workspace', ExposedPorts: { '8000/tcp': {} },
  },
} as never;

describe('devImageDockerfile', () => {
  const dockerfile = devImageDockerfile('python:3.12-bookworm', 'localhost/agentworkspace/agent-server:dev', server);

  it('copies the server and its node onto the base and runs them from /opt/agentworkspace', () => {
    expect(dockerfile).toMatch(/^FROM localhost\/agentworkspace\/agent-server:dev AS server\nFROM python:3\.12-bookworm\n/);
    expect(dockerfile).toContain('COPY --from=server /app /opt/agentworkspace/app');
    expect(dockerfile).toContain('COPY --from=server /usr/local/bin/node /opt/agentworkspace/bin/node');
    expect(dockerfile).toContain('CMD ["/opt/agentworkspace/bin/node","/opt/agentworkspace/app/server-image/dist/main.js"]');
  });

  it('keeps the base\'s PATH and takes the server image\'s other environment, user, directory and port', () => {
    expect(dockerfile).not.toMatch(/\bPATH=/);
    expect(dockerfile).toContain('ENV NODE_ENV="production" HOME="/workspace" OH_WORKSPACE_PATH="/workspace/project"');
    expect(dockerfile).toMatch(/USER 10001:10001\nWORKDIR \/workspace\nEXPOSE 8000\/tcp\n/);
  });
});

describe('devImageTag', () => {
  it('changes with the base\'s id, the server image\'s id and the Dockerfile, and only with them', () => {
    const tag = devImageTag('sha256:base', 'sha256:server', 'FROM x');
    expect(tag).toMatch(/^localhost\/agentworkspace\/dev-server:[0-9a-f]{16}$/);
    expect(devImageTag('sha256:base', 'sha256:server', 'FROM x')).toBe(tag);
    expect(new Set([tag, devImageTag('sha256:base2', 'sha256:server', 'FROM x'), devImageTag('sha256:base', 'sha256:server2', 'FROM x'), devImageTag('sha256:base', 'sha256:server', 'FROM y')]).size).toBe(4);
  });
});
