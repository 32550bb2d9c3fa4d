// agentws attach NAME [CONVERSATION]: prints a conversation on an agent server from its first event and, while
// it runs, follows it until it stops; exits with the code of its status (as run does). Without CONVERSATION,
// the newest one. Attaching only reads: it never starts, pauses or changes the conversation.
import type { Command } from 'commander';
import { z } from 'zod';
import type { ExecutionStatus } from '../conversation/state.js';
import { ConversationInfoSchema } from '../remote/protocol.js';
import type { RemoteWorkspace } from '../workspace/remote-workspace.js';
import { act, withJson, withKubernetes, type Context, type KubernetesOptions } from './command.js';
import { ConversationPrinter } from './conversation-stream.js';
import { CliError } from './errors.js';
import { openWorkspace } from './target.js';

/** `GET /api/conversations/search` (OpenHands ConversationPage): the fields read here. */
const ConversationPageSchema = z.looseObject({ items: z.array(ConversationInfoSchema) });

async function newestConversation(workspace: RemoteWorkspace, name: string): Promise<string> {
  const page = await workspace.http.request('GET', '/api/conversations/search', { query: { limit: 1, sort_order: 'CREATED_AT_DESC' }, schema: ConversationPageSchema });
  const newest = page.items[0];
  if (!newest) throw new CliError(`workspace ${name} has no conversations; start one with agentws run ${name} "…"`);
  return newest.id;
}

export function registerAttach(program: Command, ctx: Context): void {
  const cmd = withKubernetes(withJson(program.command('attach')
    .description('print a conversation on a workspace\'s agent server and follow it while it runs; exits as run does')
    .argument('<name>', 'the workspace')
    .argument('[conversation]', 'the conversation id (default: the newest)')));
  act<KubernetesOptions>(cmd, ctx, async (o, name: string, conversationId: string | undefined) => {
    const { io } = ctx;
    const target = await openWorkspace(name, o, io);
    try {
      if (target.kind === 'local') throw new CliError(`${name} is a local workspace: its conversations live in the agentws run that started them; attach follows conversations on an agent server`);
      const workspace = target.workspace as RemoteWorkspace;
      const { resumeConversation } = await import('../conversation/start-conversation.js'); // as in run.ts
      const conversation = await resumeConversation({ workspace, conversationId: conversationId ?? await newestConversation(workspace, name) });
      try {
        const printer = new ConversationPrinter(io, Boolean(o.json), name);
        printer.header(conversation);
        // Synchronously after the catch-up: no event arrives between printing these and subscribing.
        for (const e of conversation.events()) printer.event(e);
        const status = conversation.status !== 'running' ? conversation.status : await new Promise<ExecutionStatus>((resolve) => {
          conversation.subscribe((e) => {
            printer.event(e);
            if (conversation.status !== 'running') resolve(conversation.status);
          });
        });
        return printer.end(conversation, status);
      } finally {
        await conversation.close();
      }
    } finally {
      await target.workspace.close();
    }
  });
}
