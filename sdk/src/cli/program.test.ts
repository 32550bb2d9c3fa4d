import { describe, expect, it } from '@jest/globals';
import { agentws, freshEnv } from './cli.testkit.js';
import { ErrorOutputSchema } from './output.js';

const COMMANDS = ['create', 'list', 'delete', 'run', 'attach', 'exec', 'cp'];

describe('agentws usage', () => {
  it.each(COMMANDS)('%s --help prints its usage and exits 0', async (command) => {
    const r = await agentws([command, '--help'], freshEnv());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: agentws ${command}`);
    expect(r.stdout).toContain('--json');
  });

  it('without a command prints the usage and exits 2', async () => {
    const r = await agentws([], freshEnv());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: agentws');
  });

  it.each([
    [['list', '--bogus'], "unknown option '--bogus'"],
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['run', 'ws'], "missing required argument 'task'"],
    [['exec', 'ws', '--timeout', 'soon', '--', 'ls'], 'expected a positive number of seconds'],
    [['create', '--local', '/tmp/x', '--url', 'http://127.0.0.1:1'], 'cannot be used with'],
    [['create', '--key-file', '/tmp/key'], '--key-file goes with --url'],
    [['create', '--local', '/tmp/x', '--image', 'img'], '--image is for Kubernetes workspaces'],
    [['create', '--url', 'ftp://example.com'], 'is not an http(s) URL'],
    [['create', '--docker', '--url', 'http://127.0.0.1:1'], 'cannot be used with'],
    [['create', '--docker', '--docker-dev', 'python:3.12'], 'cannot be used with'],
    [['create', '--local', '/tmp/x', '--mount', '/tmp:/workspace'], '--mount is for Docker workspaces'],
    [['create', '--docker', '--mount', 'no-target'], 'is not HOST_DIR:/container/path[:ro]'],
    [['create', '--docker', '--namespace', 'agents'], '--namespace is not for Docker workspaces'],
    [['create', '--docker', '--port', 'eighty'], 'expected a positive integer'],
    [['cp', 'a.txt', 'b.txt'], 'one of source and destination is NAME:PATH'],
  ])('%j exits 2 with a usage message', async (argv, message) => {
    const r = await agentws(argv, freshEnv());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('--help');
    expect(r.stdout).toBe('');
  });

  it('an unknown workspace is exit 1 with where it looked; --json adds an error document', async () => {
    const env = freshEnv();
    const text = await agentws(['exec', 'nowhere', '--', 'true'], env);
    expect(text.code).toBe(1);
    expect(text.stderr).toContain('no workspace "nowhere"');
    expect(text.stderr).toContain('no kubeconfig');
    const json = await agentws(['exec', 'nowhere', '--json', '--', 'true'], env);
    expect(json.code).toBe(1);
    expect(ErrorOutputSchema.parse(JSON.parse(json.stdout))).toMatchObject({ error: { name: 'CliError', exitCode: 1 } });
  });

  it('a bad workspace name is refused before anything is looked up', async () => {
    const r = await agentws(['delete', 'Not_A_Name'], freshEnv());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('lowercase');
  });

  it('--version prints the package version', async () => {
    const r = await agentws(['--version'], freshEnv());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});
