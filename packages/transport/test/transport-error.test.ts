import { describe, expect, it } from 'vitest';
import { asTransportError, codeOfSocketError, connectionIds, formatHostAndPort, isTransportError, TransportError, TransportErrorCode } from '../src/index.js';

describe('TransportError', () => {
  it('carries a stable code beside the message, and keeps the cause', () => {
    const cause = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const error = asTransportError(cause, codeOfSocketError(cause, false));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('TransportError');
    expect(error.code).toBe('PEER_GONE');
    expect(error.message).toBe('read ECONNRESET');
    expect(error.cause).toBe(cause);
    expect(isTransportError(error, TransportErrorCode.PEER_GONE)).toBe(true);
    expect(isTransportError(error, TransportErrorCode.MESSAGE_TOO_LARGE)).toBe(false);
    expect(isTransportError(cause)).toBe(false);
    expect(asTransportError(error, TransportErrorCode.LOCAL_FAILURE)).toBe(error);
  });

  it('tells refusals and timeouts at dial time from resets later', () => {
    expect(codeOfSocketError({ code: 'ECONNREFUSED' }, true)).toBe('CONNECT_REFUSED');
    expect(codeOfSocketError({ code: 'ETIMEDOUT' }, true)).toBe('CONNECT_TIMEOUT');
    expect(codeOfSocketError({ code: 'EPIPE' }, false)).toBe('PEER_GONE');
    expect(new TransportError(TransportErrorCode.HEARTBEAT_TIMEOUT, 'silent').code).toBe('HEARTBEAT_TIMEOUT');
  });
});

describe('helpers', () => {
  it('writes host and port with IPv6 in brackets', () => {
    expect(formatHostAndPort('127.0.0.1', 5555)).toBe('127.0.0.1:5555');
    expect(formatHostAndPort('::1', 5555)).toBe('[::1]:5555');
    expect(formatHostAndPort(undefined, 5555)).toBe('unknown');
  });

  it('numbers connections per transport', () => {
    const next = connectionIds('tcp');
    expect([next(), next()]).toEqual(['tcp-1', 'tcp-2']);
  });
});
