// The official OpenHands wire schema, as JSON Schema, for asserting that what our programs send matches it.
//
// Source: the types that @openhands/typescript-client generates from the OpenHands agent server's OpenAPI
// document (dist/generated/agent-server-schema.d.ts), plus its hand-written `ServerInfo` (the server-detail
// routes are not in the generated file). ts-json-schema-generator turns them into JSON Schema with
// additionalProperties false, so an extra field fails validation exactly as the Python client's
// `extra="forbid"` models would reject it.
//
// The generated union types wrap each member as `({ kind: 'openhands__…-Output__1' } & Member)`: a mangled
// discriminator that contradicts the member's own `kind` literal and would make every union member
// unsatisfiable. The wrapper is removed before generation, leaving `Member` with its real `kind`.
//
// Generation takes a few seconds, so the result is cached under node_modules/.cache, keyed by the client
// package version, the generator version and this module's recipe version.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { createGenerator } from 'ts-json-schema-generator';

/** Bumped whenever the way the schema is derived changes, so stale caches are ignored. */
const RECIPE_VERSION = 3;

/**
 * Fields of OpenHands 1.58.2 that the client's generated schema (an older server's) lacks. They are added so the
 * server's answers validate; their content is checked with the official 1.58.2 models by the parity tier.
 */
const NEWER_FIELDS: Record<string, Record<string, JsonSchema>> = {
  ConversationInfo: {
    tool_module_qualnames: { type: 'object', additionalProperties: { type: 'string' } },
    runtime_info: { type: ['object', 'null'] },
  },
  ServerInfo: {
    conversation_runtime: { type: 'string', enum: ['local', 'docker'] },
    available_conversation_runtimes: { type: 'array', items: { type: 'string' } },
    app_backend_ingress_url: { type: ['string', 'null'] },
  },
};

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLIENT_DIR = join(ROOT, 'node_modules', '@openhands', 'typescript-client');
const GENERATOR_DIR = join(ROOT, 'node_modules', 'ts-json-schema-generator');

type JsonSchema = { [key: string]: unknown };
interface SchemaDocument {
  clientVersion: string;
  definitions: Record<string, JsonSchema>;
}

const MANGLED_DISCRIMINATOR = /\(\{\s*kind: 'openhands__[^']*';\s*\} & (\w+)\)/g;

function packageVersion(dir: string): string {
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

function generate(workDir: string): Record<string, JsonSchema> {
  const source = readFileSync(join(CLIENT_DIR, 'dist', 'generated', 'agent-server-schema.d.ts'), 'utf8');
  const patched = join(workDir, 'agent-server-schema.d.ts');
  writeFileSync(patched, source.replace(MANGLED_DISCRIMINATOR, '$1'));
  const options = { additionalProperties: false, skipTypeCheck: true, expose: 'export' as const, topRef: false, jsDoc: 'none' as const };
  const main = createGenerator({ ...options, path: patched, type: '*' }).createSchema('*');
  const base = createGenerator({ ...options, topRef: true, path: join(CLIENT_DIR, 'dist', 'types', 'base.d.ts'), type: 'ServerInfo' })
    .createSchema('ServerInfo');
  const definitions = { ...(main.definitions ?? {}) } as Record<string, JsonSchema>;
  const serverInfo = base.definitions?.ServerInfo;
  if (!serverInfo) throw new Error('ServerInfo not found in @openhands/typescript-client dist/types/base.d.ts');
  definitions.ServerInfo = serverInfo as JsonSchema;
  for (const [type, fields] of Object.entries(NEWER_FIELDS)) {
    const properties = definitions[type]?.properties as Record<string, JsonSchema> | undefined;
    if (!properties) throw new Error(`${type} has no properties in the generated schema`);
    for (const [name, schema] of Object.entries(fields)) properties[name] ??= schema;
  }
  return definitions;
}

let loaded: { doc: SchemaDocument; ajv: Ajv; validators: Map<string, ValidateFunction> } | undefined;

function load(): NonNullable<typeof loaded> {
  if (loaded) return loaded;
  const clientVersion = packageVersion(CLIENT_DIR);
  const key = `${clientVersion}-tsjsg${packageVersion(GENERATOR_DIR)}-r${RECIPE_VERSION}`;
  const cacheDir = join(ROOT, 'node_modules', '.cache', 'openhands-schema');
  const cacheFile = join(cacheDir, `${key}.json`);
  let doc: SchemaDocument;
  if (existsSync(cacheFile)) {
    doc = JSON.parse(readFileSync(cacheFile, 'utf8')) as SchemaDocument;
  } else {
    // Parallel test workers may generate at the same time: each writes its own files and renames atomically.
    const workDir = join(cacheDir, `work-${process.pid}-${createHash('sha1').update(String(Math.random())).digest('hex').slice(0, 8)}`);
    mkdirSync(workDir, { recursive: true });
    try {
      doc = { clientVersion, definitions: generate(workDir) };
      const tmp = join(workDir, 'schema.json');
      writeFileSync(tmp, JSON.stringify(doc));
      renameSync(tmp, cacheFile);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats.default(ajv);
  ajv.addSchema({ $id: 'openhands', definitions: doc.definitions });
  loaded = { doc, ajv, validators: new Map() };
  return loaded;
}

function pointer(typeName: string): string {
  return `#/definitions/${encodeURIComponent(typeName)}`;
}

function collectRefs(node: unknown, found: Set<string>, definitions: Record<string, JsonSchema>): void {
  if (Array.isArray(node)) {
    for (const item of node) collectRefs(item, found, definitions);
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/definitions/')) {
        const name = decodeURIComponent(v.slice('#/definitions/'.length));
        if (!found.has(name) && definitions[name]) {
          found.add(name);
          collectRefs(definitions[name], found, definitions);
        }
      } else {
        collectRefs(v, found, definitions);
      }
    }
  }
}

/**
 * A standalone JSON Schema (draft-07 style, `definitions` + `$ref`) for one type of the official
 * OpenHands agent-server schema, e.g. `schemaFor('BashOutput')`. Only the definitions it reaches are included.
 * Throws if the type does not exist.
 */
export function schemaFor(typeName: string): object {
  const { doc } = load();
  if (!doc.definitions[typeName]) throw new Error(`unknown OpenHands schema type: ${typeName}`);
  const reached = new Set<string>([typeName]);
  collectRefs(doc.definitions[typeName], reached, doc.definitions);
  const definitions: Record<string, JsonSchema> = {};
  for (const name of [...reached].sort()) definitions[name] = doc.definitions[name] as JsonSchema;
  return { $schema: 'http://json-schema.org/draft-07/schema#', $ref: pointer(typeName), definitions };
}

function validatorFor(typeName: string): ValidateFunction {
  const state = load();
  if (!state.doc.definitions[typeName]) throw new Error(`unknown OpenHands schema type: ${typeName}`);
  let validate = state.validators.get(typeName);
  if (!validate) {
    validate = state.ajv.getSchema(`openhands${pointer(typeName)}`);
    if (!validate) throw new Error(`could not compile OpenHands schema type: ${typeName}`);
    state.validators.set(typeName, validate);
  }
  return validate;
}

/**
 * Compiles the validators of `typeNames` now. Compiling one takes up to a second on a loaded machine and blocks
 * the event loop meanwhile, so a test holding a live socket (whose peer expects pongs) compiles first, not on
 * the first frame of each kind.
 */
export function compileSchemas(typeNames: readonly string[]): void {
  for (const name of typeNames) validatorFor(name);
}

/**
 * Throws an Error naming the type, listing every ajv error and showing the value when `value` does not
 * match the official OpenHands type `typeName` (extra properties forbidden). Returns normally otherwise.
 */
export function assertMatchesSchema(typeName: string, value: unknown): void {
  const state = load();
  const validate = validatorFor(typeName);
  if (validate(value)) return;
  const errors = (validate.errors ?? [])
    .slice(0, 20)
    .map((e) => `  ${e.instancePath || '(root)'} ${e.message ?? e.keyword}${e.params ? ' ' + JSON.stringify(e.params) : ''}`)
    .join('\n');
  let shown = JSON.stringify(value);
  if (shown !== undefined && shown.length > 2000) shown = shown.slice(0, 2000) + '…';
  throw new Error(`value does not match OpenHands schema type ${typeName} ` +
    `(@openhands/typescript-client ${state.doc.clientVersion}):\n${errors}\nvalue: ${shown}`);
}
