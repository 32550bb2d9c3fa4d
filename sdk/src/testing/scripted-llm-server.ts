#!/usr/bin/env node
/**
 * CLI: serves a script as an OpenAI-compatible (default) or Anthropic Messages endpoint.
 *   node sdk/dist/testing/scripted-llm-server.js --script turns.yaml [--port 8000] [--host 127.0.0.1] [--api openai|anthropic] [--api-key K]
 * Prints one JSON line `{"url", "port", "api"}` when listening and each script violation to stderr. On SIGTERM/SIGINT it
 * exits 0, or 1 if the script was violated; bad arguments exit 2.
 */
import { parseArgs } from 'node:util';
import { loadScript } from './script.js';
import { startScriptedAnthropicServer } from './scripted-anthropic-server.js';
import { startScriptedOpenAIServer } from './scripted-openai-server.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      script: { type: 'string' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      api: { type: 'string', default: 'openai' },
      'api-key': { type: 'string' },
    },
  });
  if (!values.script) throw new Error('--script <file.json|file.yaml> is required');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got ${values.port}`);
  if (values.api !== 'openai' && values.api !== 'anthropic') throw new Error(`--api must be openai or anthropic, got ${values.api}`);
  const opts = {
    script: loadScript(values.script),
    port,
    host: values.host,
    ...(values['api-key'] !== undefined ? { apiKey: values['api-key'] } : {}),
    onViolation: (m: string) => process.stderr.write(`script violation: ${m}\n`),
  };
  const server = values.api === 'anthropic' ? await startScriptedAnthropicServer(opts) : await startScriptedOpenAIServer(opts);
  process.stdout.write(`${JSON.stringify({ url: server.url, port: server.port, api: values.api })}\n`);
  const stop = () => void server.close().then(() => process.exit(server.player.violations.length ? 1 : 0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`scripted-llm-server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
