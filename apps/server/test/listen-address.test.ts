import { describe, expect, it } from 'vitest';
import { describeListener, normaliseHost, parseListenUrl, parsePort } from '../src/listen-address.js';

describe('--listen URLs', () => {
  it('parses each transport, with * as every interface and bracketed IPv6', () => {
    expect(parseListenUrl('zmq://*:5555')).toEqual({ transport: 'zmq', host: '0.0.0.0', port: 5555 });
    expect(parseListenUrl('tcp://127.0.0.1:5556')).toEqual({ transport: 'tcp', host: '127.0.0.1', port: 5556 });
    expect(parseListenUrl('ws://[::1]:8080')).toEqual({ transport: 'ws', host: '::1', port: 8080 });
  });

  it('refuses unknown transports, missing ports and ports out of range', () => {
    expect(() => parseListenUrl('udp://0.0.0.0:1')).toThrow(/unknown transport udp/);
    expect(() => parseListenUrl('tcp://0.0.0.0')).toThrow(/expected TRANSPORT:\/\/HOST:PORT/);
    expect(() => parseListenUrl('tcp://0.0.0.0:70000')).toThrow(/0 to 65535/);
    expect(() => parsePort('12a')).toThrow();
    expect(normaliseHost('*')).toBe('0.0.0.0');
  });
});

describe('the startup line', () => {
  it("is the seed's line for ZeroMQ and names the transport for the others", () => {
    expect(describeListener('zmq', '0.0.0.0', 5555)).toBe('tcp://*:5555');
    expect(describeListener('tcp', '0.0.0.0', 5556)).toBe('tcp://*:5556 (transport: tcp)');
    expect(describeListener('ws', '127.0.0.1', 8080)).toBe('ws://127.0.0.1:8080 (transport: ws)');
  });
});
