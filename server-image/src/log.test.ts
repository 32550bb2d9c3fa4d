import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { createLogger, redactUrl, requestId } from './log.js';

describe('log', () => {
  it.each([
    ['/sockets/bash-events?session_api_key=abc', '/sockets/bash-events?session_api_key=[REDACTED]'],
    ['/x?a=1&session_api_key=abc&b=2', '/x?a=1&session_api_key=[REDACTED]&b=2'],
    ['/x?SESSION_API_KEY=abc#frag', '/x?SESSION_API_KEY=[REDACTED]#frag'],
    ['/x?path=/tmp/a', '/x?path=/tmp/a'],
    // The names the handshake's URLSearchParams decodes to a key parameter.
    ['/x?session%5Fapi%5Fkey=abc&a=1', '/x?session%5Fapi%5Fkey=[REDACTED]&a=1'],
    ['/x?session_api%5fkey=abc', '/x?session_api%5fkey=[REDACTED]'],
    ['/x?%zz=1&token=t', '/x?%zz=1&token=[REDACTED]'],
    ['/x?session_api_key', '/x?session_api_key=[REDACTED]'],
  ])('redactUrl(%s)', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('keeps sane request ids and replaces others', () => {
    expect(requestId('abc-123.x:y')).toBe('abc-123.x:y');
    expect(requestId('bad id with spaces')).toMatch(/^[0-9a-f]{16}$/);
    expect(requestId(['a', 'b'])).toMatch(/^[0-9a-f]{16}$/);
    expect(requestId('x'.repeat(200))).toMatch(/^[0-9a-f]{16}$/);
  });

  it('redacts key-bearing fields in logged objects', () => {
    let out = '';
    const sink = new Writable({ write(chunk, _enc, cb) { out += chunk; cb(); } });
    const log = createLogger('info', sink);
    log.info({ req: { headers: { 'x-session-api-key': 'k1', authorization: 'Bearer k2' } }, session_api_key: 'k3', nested: { session_api_key: 'k4' } }, 'hello');
    expect(out).toContain('hello');
    for (const secret of ['k1', 'Bearer k2', 'k3', 'k4']) expect(out).not.toContain(`"${secret}"`);
  });
});
