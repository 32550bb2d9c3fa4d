// The OpenAPI document of the HTTP routes (GET /openapi.json) and the pages that render it (/docs, /redoc),
// as FastAPI serves them for OpenHands. Paths and methods come from the mounted routers themselves; request
// bodies and query parameters from the zod schemas each router documents next to its handlers (`RouteDocs`),
// turned into JSON Schema by zod's own `toJSONSchema`.
import { Router } from 'express';
import { z } from 'zod';

/** What a router says about one of its routes, keyed `"<METHOD> <express path>"` (e.g. `"POST /upload"`). */
export interface RouteDoc {
  summary: string;
  query?: z.ZodObject;
  body?: z.ZodType;
}
export type RouteDocs = Record<string, RouteDoc>;

export interface MountedRoute {
  method: string;
  /** The full express path (`/api/conversations/:conversation_id`). */
  path: string;
  doc?: RouteDoc;
}

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', cycles: 'ref', reused: 'inline' });

/** `/a/:b/c` → `/a/{b}/c` and the names of its path parameters. */
function openApiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const converted = path.replace(/:(\w+)/g, (_m, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path: converted.length > 1 ? converted.replace(/\/$/, '') : converted, params };
}

export function openApiDocument(routes: readonly MountedRoute[], info: { title: string; version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const { path, params } = openApiPath(route.path);
    const parameters: Record<string, unknown>[] = params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
    for (const [name, schema] of Object.entries(route.doc?.query?.shape ?? {})) {
      const property = jsonSchema(schema as z.ZodType);
      delete property.$schema;
      parameters.push({ name, in: 'query', required: !(schema as z.ZodType).safeParse(undefined).success, schema: property });
    }
    const operation: Record<string, unknown> = {
      summary: route.doc?.summary ?? `${route.method} ${path}`,
      ...(parameters.length ? { parameters } : {}),
      responses: { default: { description: 'The protocol\'s answer; errors are `{"detail": …}`' } },
    };
    if (route.doc?.body) {
      const body = jsonSchema(route.doc.body);
      delete body.$schema;
      operation.requestBody = { required: true, content: { 'application/json': { schema: body } } };
    }
    if (path.startsWith('/api/')) operation.security = [{ SessionApiKey: [] }];
    (paths[path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: { securitySchemes: { SessionApiKey: { type: 'apiKey', in: 'header', name: 'X-Session-API-Key' } } },
  };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A self-contained HTML rendering of the document (no scripts, nothing fetched from elsewhere). */
export function docsPage(doc: Record<string, unknown>, title: string): string {
  const paths = doc.paths as Record<string, Record<string, { summary: string; parameters?: { name: string; in: string; required: boolean; schema: unknown }[]; requestBody?: { content: Record<string, { schema: unknown }> } }>>;
  const sections = Object.entries(paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => {
    const params = (op.parameters ?? []).map((p) => `<li><code>${escapeHtml(p.name)}</code> (${p.in}${p.required ? ', required' : ''}): <code>${escapeHtml(JSON.stringify(p.schema))}</code></li>`).join('');
    const body = op.requestBody ? `<h4>Body</h4><pre>${escapeHtml(JSON.stringify(op.requestBody.content['application/json']?.schema, null, 2))}</pre>` : '';
    return `<section><h3><code>${method.toUpperCase()} ${escapeHtml(path)}</code></h3><p>${escapeHtml(op.summary)}</p>${params ? `<ul>${params}</ul>` : ''}${body}</section>`;
  }));
  const info = doc.info as { title: string; version: string };
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>`
    + '<style>body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}pre{background:#f4f4f4;padding:.5em;overflow:auto}section{border-top:1px solid #ddd}</style></head>'
    + `<body><h1>${escapeHtml(info.title)} ${escapeHtml(info.version)}</h1><p>${escapeHtml(title)}; the machine-readable document is <a href="/openapi.json">/openapi.json</a>.</p>${sections.join('')}</body></html>`;
}

export const apiDocsRouteDocs: RouteDocs = {
  'GET /openapi.json': { summary: 'This OpenAPI document' },
  'GET /docs': { summary: 'The API reference (HTML)' },
  'GET /redoc': { summary: 'The API reference (HTML, one page)' },
};

/** GET /openapi.json, /docs and /redoc (unauthenticated, as FastAPI serves them). `routes` is read at the first request. */
export function apiDocsRouter(routes: () => MountedRoute[], info: { title: string; version: string }): Router {
  const router = Router();
  let doc: Record<string, unknown> | undefined;
  const document = () => (doc ??= openApiDocument(routes(), info));
  router.get('/openapi.json', (_req, res) => void res.json(document()));
  router.get('/docs', (_req, res) => void res.type('html').send(docsPage(document(), 'API reference')));
  router.get('/redoc', (_req, res) => void res.type('html').send(docsPage(document(), 'API reference (one page)')));
  return router;
}
