// agentws run NAME "task": starts a conversation in the workspace (startConversation: in this process for a
// local one, on the agent server otherwise), streams it, and exits with the code of the status it stopped in.
// The model: --model/--base-url, else LLM_MODEL/LLM_BASE_URL (the key only from LLM_API_KEY, never a flag, so it
// stays out of the process list); with none, an agent server uses its own (a Kubernetes workspace's LLM Secret).
import type { Command } from 'commander';
import type { AgentSpecInput } from '../agent/agent-spec.js';
import { act, positiveInt, withJson, withKubernetes, type Context, type KubernetesOptions } from './command.js';
import { ConversationPrinter } from './conversation-stream.js';
import { UsageError } from './errors.js';
import { openWorkspace, type Target } from './target.js';

interface RunOptions extends KubernetesOptions {
  model?: string;
  baseUrl?: string;
  maxIterations?: number;
}

const TOOLS = [{ name: 'terminal' }, { name: 'file_editor' }, { name: 'task_tracker' }];

/** The agent: its tools and whatever LLM settings the flags and environment give. */
export function agentFor(o: RunOptions, env: NodeJS.ProcessEnv, target: Target): AgentSpecInput {
  const model = o.model ?? env.LLM_MODEL;
  const baseUrl = o.baseUrl ?? env.LLM_BASE_URL;
  const apiKey = env.LLM_API_KEY;
  if (!model && target.kind === 'local') throw new UsageError('a local workspace runs the agent here and needs a model: --model or LLM_MODEL (with LLM_API_KEY)');
  const llm = { ...(model ? { model } : {}), ...(baseUrl ? { base_url: baseUrl } : {}), ...(apiKey ? { api_key: apiKey } : {}) };
  // Without a model the server fills in its own (LLM_MODEL, LLM_API_KEY, LLM_BASE_URL), which the type cannot know.
  return { ...(Object.keys(llm).length > 0 ? { llm } : {}), tools: TOOLS } as AgentSpecInput;
}

export function registerRun(program: Command, ctx: Context): void {
  const cmd = withKubernetes(withJson(program.command('run')
    .description('run a task in a workspace and stream the conversation; exits with the final status\'s code')
    .argument('<name>', 'the workspace')
    .argument('<task>', 'what the agent should do')
    .option('--model <model>', 'LiteLLM-style model, e.g. openai/gpt-4o, anthropic/claude-sonnet-4-5 (default: $LLM_MODEL, else the server\'s)')
    .option('--base-url <url>', 'the model\'s endpoint (default: $LLM_BASE_URL, else the provider\'s); the key is $LLM_API_KEY')
    .option('--max-iterations <n>', 'LLM steps before the run stops with an error (default 500)', positiveInt)))
    .addHelpText('after', `
Exit codes: 0 finished, 3 error, 4 stuck, 5 paused, 6 waiting for confirmation; 1 the CLI failed, 2 bad usage.
With --json: JSON lines, {"type":"conversation"}, then {"type":"event","event":…} each, then {"type":"status"}.`);
  act<RunOptions>(cmd, ctx, async (o, name: string, task: string) => {
    const { io } = ctx;
    const target = await openWorkspace(name, o, io);
    try {
      const agent = agentFor(o, io.env, target);
      const { LLM_API_KEY: _key, ...toolEnvironment } = io.env;
      // Loaded here, not at start: with the LLM clients it is most of agentws's start-up time.
      const { startConversation } = await import('../conversation/start-conversation.js');
      const conversation = await startConversation({
        agent, workspace: target.workspace, toolEnvironment, ...(o.maxIterations ? { max_iterations: o.maxIterations } : {}),
      });
      try {
        const printer = new ConversationPrinter(io, Boolean(o.json), name);
        printer.header(conversation);
        for (const e of conversation.events()) printer.event(e);
        conversation.subscribe((e) => printer.event(e));
        await conversation.sendMessage(task);
        return printer.end(conversation, await conversation.run());
      } finally {
        await conversation.close();
      }
    } finally {
      await target.workspace.close();
    }
  });
}
