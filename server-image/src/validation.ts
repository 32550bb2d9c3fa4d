// Request contracts checked the FastAPI way: `parseOrThrow` parses with a zod schema or throws a
// ValidationError whose issues are FastAPI's `{type, loc, msg, input, ctx?}` (the 422 body http/errors.ts
// sends; the input with secrets redacted, as OpenHands' validation handler does). Used by
// the HTTP routes and by the services that validate what a route hands them (an agent spec after the server's
// credentials are applied).
import type { z } from 'zod';
import { ValidationError, type ValidationIssue } from './errors.js';

// OpenHands' `sanitize_dict` (openhands/sdk/utils/redact.py): a key containing one of these names has its value
// redacted; under `env`, `environment` and `headers` every value is.
const SECRET_KEY = /AUTHORIZATION|COOKIE|CREDENTIAL|KEY|PASSWORD|SECRET|SESSION|TOKEN/i;
const REDACT_ALL_KEYS = new Set(['env', 'environment', 'headers']);
const REDACTED = '<redacted>';

function redactAll(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactAll);
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).map((k) => [k, redactAll((value as Record<string, unknown>)[k])]));
  return REDACTED;
}

/** The value with likely secrets replaced by "<redacted>", as OpenHands sanitizes a 422's `input`. */
export function sanitizeInput(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sanitizeInput);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k,
      REDACT_ALL_KEYS.has(k.toLowerCase()) ? redactAll(v) : SECRET_KEY.test(k) ? REDACTED : sanitizeInput(v)]));
  }
  return value;
}

/**
 * The input of an issue at `path` inside `root`, sanitized. Stricter than OpenHands, which sends a scalar as it is:
 * a value under a secret-looking key (`api_key: 123`, of the wrong type) is redacted too.
 */
function issueInput(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof key === 'string' && (SECRET_KEY.test(key) || REDACT_ALL_KEYS.has(key.toLowerCase()))) return REDACTED;
    value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return sanitizeInput(value);
}

/** The fields of a zod issue (raw or final) that pick FastAPI's type and message. */
interface IssueFacts {
  code?: string;
  expected?: string;
  received?: string;
  origin?: string;
  format?: string;
  maximum?: unknown;
  minimum?: unknown;
  inclusive?: boolean;
  divisor?: unknown;
  values?: readonly unknown[];
  options?: readonly unknown[];
  note?: string;
  input?: unknown;
  discriminator?: string;
}

const TYPE_BY_EXPECTED: Record<string, [type: string, msg: string]> = {
  string: ['string_type', 'Input should be a valid string'],
  number: ['float_type', 'Input should be a valid number'],
  int: ['int_type', 'Input should be a valid integer'],
  boolean: ['bool_type', 'Input should be a valid boolean'],
  object: ['dict_type', 'Input should be a valid dictionary'],
  record: ['dict_type', 'Input should be a valid dictionary'],
  array: ['list_type', 'Input should be a valid list'],
  null: ['none_required', 'Input should be None'],
};

const PARSING_BY_FORMAT: Record<string, string> = { uuid: 'UUID', datetime: 'datetime', date: 'date', time: 'time', url: 'URL' };

/** Allowed values as pydantic lists them: `'a', 'b' or 'c'`. Values come from the schema, never the input. */
function allowed(values: readonly unknown[]): string {
  const shown = values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v)));
  return shown.length > 1 ? `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}` : (shown[0] ?? '');
}

/**
 * FastAPI's `type` and `msg` for a zod issue: a closed mapping from issue codes, with `value_error` for the
 * rest. The message never quotes the input (it may be a secret); `missing` is told apart from a wrong type by
 * the input being absent, which needs the issue's `input` (parse with `reportInput`).
 */
function describeIssue(issue: IssueFacts): { type: string; msg: string } {
  const bound = (key: 'maximum' | 'minimum') => String(issue[key]);
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return { type: 'missing', msg: 'Field required' };
      if (issue.expected === 'number' && issue.received === 'NaN') {
        return { type: 'float_parsing', msg: 'Input should be a valid number, unable to parse string as a number' };
      }
      if (issue.expected === 'int' && typeof issue.input === 'number' && !Number.isInteger(issue.input)) {
        return { type: 'int_from_float', msg: 'Input should be a valid integer, got a number with a fractional part' };
      }
      const [type, msg] = TYPE_BY_EXPECTED[issue.expected ?? ''] ?? ['value_error', `Input should be a valid ${issue.expected}`];
      return { type, msg };
    }
    case 'too_big':
      if (issue.origin === 'string') return { type: 'string_too_long', msg: `String should have at most ${bound('maximum')} characters` };
      if (issue.origin === 'number' || issue.origin === 'bigint') {
        return issue.inclusive
          ? { type: 'less_than_equal', msg: `Input should be less than or equal to ${bound('maximum')}` }
          : { type: 'less_than', msg: `Input should be less than ${bound('maximum')}` };
      }
      return { type: 'too_long', msg: `List should have at most ${bound('maximum')} items` };
    case 'too_small':
      if (issue.origin === 'string') return { type: 'string_too_short', msg: `String should have at least ${bound('minimum')} characters` };
      if (issue.origin === 'number' || issue.origin === 'bigint') {
        return issue.inclusive
          ? { type: 'greater_than_equal', msg: `Input should be greater than or equal to ${bound('minimum')}` }
          : { type: 'greater_than', msg: `Input should be greater than ${bound('minimum')}` };
      }
      return { type: 'too_short', msg: `List should have at least ${bound('minimum')} items` };
    case 'invalid_value':
      return (issue.values?.length ?? 0) > 1
        ? { type: 'enum', msg: `Input should be ${allowed(issue.values ?? [])}` }
        : { type: 'literal_error', msg: `Input should be ${allowed(issue.values ?? [])}` };
    case 'invalid_format': {
      const name = PARSING_BY_FORMAT[issue.format ?? ''];
      if (name) return { type: `${issue.format}_parsing`, msg: `Input should be a valid ${name}` };
      return { type: 'string_pattern_mismatch', msg: `String should match the ${issue.format ?? 'expected'} format` };
    }
    case 'not_multiple_of':
      return { type: 'multiple_of', msg: `Input should be a multiple of ${String(issue.divisor)}` };
    case 'unrecognized_keys':
      return { type: 'extra_forbidden', msg: 'Extra inputs are not permitted' };
    case 'invalid_union':
      if (issue.note === 'No matching discriminator') {
        return { type: 'union_tag_invalid', msg: `Input tag does not match any of the expected tags: ${allowed(issue.options ?? [])}` };
      }
      return { type: 'value_error', msg: 'Input does not match any of the allowed types' };
    default:
      return { type: 'value_error', msg: 'Value error' };
  }
}

/** pydantic's `ctx` for the error `type` (the bound, the allowed values, a refinement's message), if it has one. */
function issueContext(type: string, issue: IssueFacts, msg: string): Record<string, unknown> | undefined {
  switch (type) {
    case 'greater_than': return { gt: issue.minimum };
    case 'greater_than_equal': return { ge: issue.minimum };
    case 'less_than': return { lt: issue.maximum };
    case 'less_than_equal': return { le: issue.maximum };
    case 'string_too_short': return { min_length: issue.minimum };
    case 'string_too_long': return { max_length: issue.maximum };
    case 'too_short': return { field_type: 'List', min_length: issue.minimum, actual_length: Array.isArray(issue.input) ? issue.input.length : undefined };
    case 'too_long': return { field_type: 'List', max_length: issue.maximum, actual_length: Array.isArray(issue.input) ? issue.input.length : undefined };
    case 'enum':
    case 'literal_error': return { expected: allowed(issue.values ?? []) };
    case 'multiple_of': return { multiple_of: issue.divisor };
    case 'union_tag_invalid': return { discriminator: `'${issue.discriminator ?? 'kind'}'`, expected_tags: allowed(issue.options ?? []) };
    case 'value_error': return { error: msg };
    default: return undefined;
  }
}

/**
 * Parses `value` with `schema` or throws a ValidationError (422) whose locations start with `source`
 * ("body", "query" or "path"), as FastAPI reports them. Messages a schema sets itself win over FastAPI's
 * (zod ranks schema-level errors above the per-parse map); a missing field always reads "Field required".
 * Each issue carries its `input` (sanitized: see issueInput) and pydantic's `ctx`.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, source: 'body' | 'query' | 'path'): z.output<S> {
  const result = schema.safeParse(value, {
    reportInput: true,
    error: (issue) => (issue.code === 'custom' ? undefined : describeIssue(issue as IssueFacts).msg),
  });
  if (result.success) return result.data;
  throw new ValidationError(result.error.issues.flatMap((issue): ValidationIssue[] => {
    const loc = [source, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    const { type, msg } = describeIssue(issue as IssueFacts);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ type, loc: [...loc, key], msg: issue.message, input: issueInput(value, [...issue.path, key]) }));
    }
    const message = type === 'missing' ? msg : issue.message;
    // A missing field's input is the object it is missing from, as pydantic reports it.
    const input = issueInput(value, type === 'missing' ? issue.path.slice(0, -1) : issue.path);
    const ctx = issueContext(type, issue as IssueFacts, message);
    return [{ type, loc, msg: message, input, ...(ctx ? { ctx } : {}) }];
  }));
}

