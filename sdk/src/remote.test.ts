// The remote entry imports no Node built-in: esbuild bundles it for the browser platform, where any
// `node:` (or bare built-in) import fails the build.
import { describe, expect, it } from '@jest/globals';
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

describe('@agentworkspace/sdk/remote', () => {
  it('bundles with esbuild --platform=browser, with no Node built-in among its inputs', async () => {
    const entry = join(dirname(fileURLToPath(import.meta.url)), 'remote.ts');
    const result = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => p.startsWith('node:') || /(^|\/)(fs|path|child_process|os|crypto)$/.test(p))).toEqual([]);
    expect(inputs.some((p) => p.endsWith('remote/remote-conversation.ts'))).toBe(true);
    expect(inputs.some((p) => /kubernetes|docker/.test(p))).toBe(false);
  });
});
