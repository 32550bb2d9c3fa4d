// /api/conversations: the OpenHands conversation and event routes (protocol §3.2–§3.3), with the status
// codes of OpenHands 1.58: an unknown id is a 404 everywhere (pause, interrupt, DELETE and PATCH included;
// `{"detail":"Not Found"}` where FastAPI raises a bare 404), create answers 201 or 200 for an existing id.
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { ConfirmationPolicyInput, SecretSource } from '@agentworkspace/sdk';
import { countEvents, searchEvents } from '../conversations/event-query.js';
import type { HostedConversation } from '../conversations/hosted-conversation.js';
import {
  AskAgentRequestSchema, BatchGetQuerySchema, ConfirmationResponseRequestSchema, ConversationCountQuerySchema, ConversationIdSchema,
  ConversationSearchQuerySchema, EventBatchBodySchema, EventCountQuerySchema, EventSearchQuerySchema, ForkRequestSchema, IncludeSkillsQuerySchema,
  SendMessageRequestSchema, SetConfirmationPolicyRequestSchema, SetSecurityAnalyzerRequestSchema, StartConversationRequestSchema,
  UpdateConversationRequestSchema, UpdateSecretsRequestSchema,
} from '../conversations/requests.js';
import type { ConversationService } from '../conversations/service.js';
import { wireEvent } from '../conversations/wire-event.js';
import { parseOrThrow } from '../validation.js';
import { ApiError } from './errors.js';
import type { RouteDocs } from './openapi.js';

const SUCCESS = { success: true } as const;

export const conversationRouteDocs: RouteDocs = {
  'GET /search': { summary: 'Searches conversations: a ConversationPage', query: ConversationSearchQuerySchema },
  'GET /count': { summary: 'How many conversations (a bare integer)', query: ConversationCountQuerySchema },
  'GET /': { summary: 'Conversations by id; null for unknown ids', query: BatchGetQuerySchema },
  'POST /': { summary: 'Starts a conversation: 201 ConversationInfo (200 for an existing conversation_id)', body: StartConversationRequestSchema },
  'GET /:conversation_id': { summary: 'ConversationInfo' },
  'PATCH /:conversation_id': { summary: 'Sets the title and tags', body: UpdateConversationRequestSchema },
  'DELETE /:conversation_id': { summary: 'Stops the conversation and removes it' },
  'GET /:conversation_id/agent_final_response': { summary: 'The last finish or agent message' },
  'POST /:conversation_id/run': { summary: 'Runs the agent' },
  'POST /:conversation_id/pause': { summary: 'Pauses after the current step' },
  'POST /:conversation_id/interrupt': { summary: 'Cancels the current LLM call or tool now' },
  'POST /:conversation_id/secrets': { summary: "Sets the conversation's secrets", body: UpdateSecretsRequestSchema },
  'POST /:conversation_id/confirmation_policy': { summary: 'Sets the confirmation policy', body: SetConfirmationPolicyRequestSchema },
  'POST /:conversation_id/security_analyzer': { summary: 'Sets the security analyzer', body: SetSecurityAnalyzerRequestSchema },
  'POST /:conversation_id/ask_agent': { summary: "Asks the conversation's LLM a question; nothing is appended", body: AskAgentRequestSchema },
  'POST /:conversation_id/fork': { summary: 'Copies the conversation: 201 ConversationInfo', body: ForkRequestSchema },
  'POST /:conversation_id/condense': { summary: 'Asks for a condensation at the next step' },
  'GET /:conversation_id/events/search': { summary: 'Searches the events: {items, next_page_id}', query: EventSearchQuerySchema },
  'GET /:conversation_id/events/count': { summary: 'How many events match (a bare integer)', query: EventCountQuerySchema },
  'GET /:conversation_id/events': { summary: 'Events by id (the body is a JSON list of ids); null for unknown ids', body: EventBatchBodySchema },
  'POST /:conversation_id/events': { summary: 'Appends a user message; with run, starts the agent', body: SendMessageRequestSchema },
  'POST /:conversation_id/events/respond_to_confirmation': { summary: 'Accepts or rejects the actions waiting for confirmation', body: ConfirmationResponseRequestSchema },
  'GET /:conversation_id/events/:event_id': { summary: 'One event' },
};

function includeSkills(req: Request): boolean {
  return parseOrThrow(IncludeSkillsQuerySchema, req.query, 'query').include_skills ?? false;
}

export function conversationsRouter(service: ConversationService): Router {
  const router = Router();

  /** The conversation named by the path, or 404 (a malformed id is a 422, as FastAPI's UUID parameter). */
  const conversation = (req: Request): HostedConversation => {
    const id = parseOrThrow(z.object({ conversation_id: ConversationIdSchema }), req.params, 'path').conversation_id;
    return service.get(id);
  };
  /** The routes whose OpenHands 404 has FastAPI's bare detail. */
  const conversationOr404 = (req: Request, detail = 'Not Found'): HostedConversation => {
    const id = parseOrThrow(z.object({ conversation_id: ConversationIdSchema }), req.params, 'path').conversation_id;
    const hosted = service.lookup(id);
    if (!hosted) throw new ApiError('not_found', detail);
    return hosted;
  };
  const body = (req: Request) => (req.body === undefined ? {} : req.body);

  // ---- conversations ----

  router.get('/search', (req, res) => {
    res.json(service.search(parseOrThrow(ConversationSearchQuerySchema, req.query, 'query')));
  });

  router.get('/count', (req, res) => {
    res.json(service.count(parseOrThrow(ConversationCountQuerySchema, req.query, 'query').status));
  });

  router.get('/', (req, res) => {
    const q = parseOrThrow(BatchGetQuerySchema, req.query, 'query');
    res.json(q.ids.map((raw) => {
      const hosted = service.lookup(raw);
      return hosted ? service.info(hosted, q.include_skills) : null;
    }));
  });

  router.post('/', async (req, res) => {
    const request = parseOrThrow(StartConversationRequestSchema, body(req), 'body');
    const skills = includeSkills(req);
    const { hosted, created } = await service.create(request);
    res.status(created ? 201 : 200).json(service.info(hosted, skills));
  });

  router.get('/:conversation_id', (req, res) => {
    res.json(service.info(conversation(req), includeSkills(req)));
  });

  router.patch('/:conversation_id', (req, res) => {
    const patch = parseOrThrow(UpdateConversationRequestSchema, body(req), 'body');
    service.update(conversationOr404(req), patch);
    res.json(SUCCESS);
  });

  router.delete('/:conversation_id', async (req, res) => {
    await service.delete(conversationOr404(req));
    res.json(SUCCESS);
  });

  router.get('/:conversation_id/agent_final_response', async (req, res) => {
    res.json({ response: await service.finalResponse(conversation(req)) });
  });

  router.post('/:conversation_id/run', async (req, res) => {
    await service.run(conversation(req));
    res.json(SUCCESS);
  });

  router.post('/:conversation_id/pause', async (req, res) => {
    await service.pause(conversationOr404(req));
    res.json(SUCCESS);
  });

  router.post('/:conversation_id/interrupt', async (req, res) => {
    await service.interrupt(conversationOr404(req));
    res.json(SUCCESS);
  });

  router.post('/:conversation_id/secrets', async (req, res) => {
    const hosted = conversation(req);
    const { secrets } = parseOrThrow(UpdateSecretsRequestSchema, body(req), 'body');
    await service.updateSecrets(hosted, secrets as Record<string, SecretSource>);
    res.json(SUCCESS);
  });

  router.post('/:conversation_id/confirmation_policy', async (req, res) => {
    const hosted = conversation(req);
    const { policy } = parseOrThrow(SetConfirmationPolicyRequestSchema, body(req), 'body');
    await service.setConfirmationPolicy(hosted, policy as ConfirmationPolicyInput);
    res.json(SUCCESS);
  });

  router.post('/:conversation_id/security_analyzer', async (req, res) => {
    const hosted = conversation(req);
    const { security_analyzer } = parseOrThrow(SetSecurityAnalyzerRequestSchema, body(req), 'body');
    await service.setSecurityAnalyzer(hosted, security_analyzer);
    res.json(SUCCESS);
  });

  router.post('/:conversation_id/ask_agent', async (req, res) => {
    const { question } = parseOrThrow(AskAgentRequestSchema, body(req), 'body');
    res.json({ response: await service.askAgent(conversationOr404(req, 'Conversation not found'), question) });
  });

  router.post('/:conversation_id/fork', async (req, res) => {
    const source = conversation(req);
    const request = parseOrThrow(ForkRequestSchema, body(req), 'body');
    const skills = includeSkills(req);
    const fork = await service.fork(source, request);
    res.status(201).json(service.info(fork, skills));
  });

  router.post('/:conversation_id/condense', async (req, res) => {
    await service.condense(conversationOr404(req, 'Conversation not found'));
    res.json(SUCCESS);
  });

  // ---- events ----

  router.get('/:conversation_id/events/search', async (req, res) => {
    const hosted = conversation(req);
    const q = parseOrThrow(EventSearchQuerySchema, req.query, 'query');
    await hosted.load();
    const page = searchEvents(hosted.events(), q);
    res.json({ items: page.items.map(wireEvent), next_page_id: page.next_page_id });
  });

  router.get('/:conversation_id/events/count', async (req, res) => {
    const hosted = conversation(req);
    const q = parseOrThrow(EventCountQuerySchema, req.query, 'query');
    await hosted.load();
    res.json(countEvents(hosted.events(), q));
  });

  // GET with a JSON list of ids as its body (FastAPI's un-annotated list parameter).
  router.get('/:conversation_id/events', async (req, res) => {
    const hosted = conversation(req);
    const ids = parseOrThrow(EventBatchBodySchema, req.body ?? [], 'body');
    const conv = await hosted.load();
    res.json(ids.map((id) => conv.event(id) ?? null));
  });

  router.post('/:conversation_id/events', async (req, res) => {
    const hosted = conversation(req);
    const message = parseOrThrow(SendMessageRequestSchema, body(req), 'body');
    await service.sendMessage(hosted, message);
    res.json(SUCCESS);
  });

  router.post('/:conversation_id/events/respond_to_confirmation', async (req, res) => {
    const hosted = conversation(req);
    const { accept, reason } = parseOrThrow(ConfirmationResponseRequestSchema, body(req), 'body');
    await service.respondToConfirmation(hosted, accept, reason);
    res.json(SUCCESS);
  });

  router.get('/:conversation_id/events/:event_id', async (req, res) => {
    const conv = await conversation(req).load();
    const event = conv.event(String(req.params.event_id));
    if (!event) throw new ApiError('not_found', `Event not found: ${String(req.params.event_id)}`);
    res.json(event);
  });

  return router;
}
