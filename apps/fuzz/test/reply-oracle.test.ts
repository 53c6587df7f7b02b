import { describe, expect, it } from 'vitest';
import { CONTROL } from '../src/spec.js';
import { ADMIN_TOKEN, Conversation } from './oracle-harness.js';

// The oracle against conversations written by hand: the spec's own examples pass, and each kind of
// wrong reply a server could send is caught. If these fail to catch, the fuzz run could not either.
describe('the reply oracle accepts what docs/protocol.md allows', () => {
  it('passes section 8 (a session with nc)', () => {
    const talk = new Conversation().open();
    talk.send({ op: 'acquire', id: 2, resource: 'file_A' }).receive({ op: 'granted', id: 2, resource: 'file_A', mode: 'exclusive', token: '1', waitedMs: 0 });
    talk.send({ op: 'release', id: 3, resource: 'file_A', token: '1' }).receive({ op: 'released', id: 3, resource: 'file_A', token: '1' });
    talk.send({ op: 'goodbye', id: 4 }).receive({ op: 'bye', id: 4 });
    expect(talk.violations).toEqual([]);
    expect(talk.oracle.unresolved).toBe(0);
    expect(talk.replies).toBe(4);
  });

  it('passes a queued acquire granted later, a cancel, a timeout and a lost lock', () => {
    const talk = new Conversation().open({ leaseMs: 1_000 });
    talk.send({ op: 'acquire', id: 7, resource: 'file_A', waitMs: 5_000 }).receive({ op: 'queued', id: 7, resource: 'file_A', mode: 'exclusive', position: 2 });
    talk.send({ op: 'acquire', id: 8, resource: 'file_B', waitMs: 50 }).receive({ op: 'queued', id: 8, resource: 'file_B', mode: 'exclusive', position: 1 });
    talk.send({ op: 'acquire', id: 9, resource: 'file_C' }).receive({ op: 'queued', id: 9, resource: 'file_C', mode: 'exclusive', position: 1 });
    talk.receive({ op: 'granted', id: 7, resource: 'file_A', mode: 'exclusive', token: '1043', waitedMs: 812 });
    talk.wait(60).receive({ op: 'timeout', id: 8, resource: 'file_B' });
    talk.send({ op: 'cancel', id: 10, target: 9 }).receive({ op: 'cancelled', id: 10, target: 9, resource: 'file_C' });
    talk.wait(1_000).receive({ op: 'lost', resource: 'file_A', token: '1043', reason: 'lease-expired' });
    talk.receive({ op: 'error', code: 'SESSION_ENDED', message: 'session ended' });
    expect(talk.violations).toEqual([]);
  });

  it('passes refusals that name any rule the request broke, with the id only when the id rule accepts it', () => {
    const talk = new Conversation();
    talk.send({ op: 'acquire', id: 1.5, resource: 'a\nb' }).receive({ op: 'error', code: 'BAD_RESOURCE_NAME', message: 'x' });
    talk.send({ op: 'acquire', id: '77', waitMs: -1 }).receive({ op: 'error', id: '77', code: 'MISSING_FIELD', message: 'x' });
    talk.send(Buffer.from([0x7b, 0xc0, 0xaf, 0x7d])).receive({ op: 'error', code: 'BAD_JSON', message: 'x' });
    talk.send('[]').receive({ op: 'error', code: 'BAD_MESSAGE', message: 'x' });
    talk.send({ op: 'hello', id: 2, v: 2, leaseMs: 'x' }).receive({ op: 'error', id: 2, code: 'UNSUPPORTED_VERSION', message: 'x' });
    talk.send({ op: 'status', id: 3 }).receive({ op: 'status', id: 3, totalResources: 0, offset: 0, totalSessions: 0, resources: [], sessions: [] });
    expect(talk.violations).toEqual([]);
  });

  it('passes an exactly-once stream: sn on every reply, no reply to a duplicate', () => {
    const talk = new Conversation().open({ exactlyOnce: true });
    talk.send({ op: 'acquire', id: 2, resource: 'file_A', seq: 1, ack: 0 }).receive({ op: 'granted', id: 2, resource: 'file_A', mode: 'exclusive', token: '7', waitedMs: 0, sn: 1 });
    talk.send({ op: 'acquire', id: 2, resource: 'file_A', seq: 1, ack: 1 });
    talk.send({ op: 'keepalive', id: 3, seq: 2, ack: 1 }).receive({ op: 'alive', id: 3, leaseMs: 10_000, sn: 2 });
    talk.send({ op: 'keepalive', id: 4, seq: 9 }).receive({ op: 'error', id: 4, code: 'BAD_SEQUENCE', message: 'x' });
    expect(talk.violations).toEqual([]);
  });

  it('accepts a status of every resource answered after later requests on a busy server (5), and only there', () => {
    const resources = Array.from({ length: 100 }, (_, index) => ({ resource: `r${index}`, holders: [], holding: 1, waiters: [], waiting: 0 }));
    const busy = new Conversation().open();
    busy.send({ op: 'status', id: 'all' }).send({ op: 'keepalive', id: 2 }).receive({ op: 'alive', id: 2, leaseMs: 10_000 });
    busy.receive({ op: 'status', id: 'all', totalResources: 20_000, offset: 0, nextOffset: 100, totalSessions: 0, resources, sessions: [] });
    expect(busy.violations).toEqual([]);
    expect(busy.oracle.unresolved).toBe(0);
    const idle = new Conversation().open();
    idle.send({ op: 'status', id: 'all' }).send({ op: 'keepalive', id: 2 }).receive({ op: 'alive', id: 2, leaseMs: 10_000 });
    idle.receive({ op: 'status', id: 'all', totalResources: 1, offset: 0, totalSessions: 0, resources: resources.slice(0, 1), sessions: [] });
    expect(idle.rules).toEqual(['wrong-push']);
  });

  it('accepts, on a REQ socket, SESSION_ENDED as the answer to a request that comes as the lease runs out (2.1), and not before', () => {
    const late = new Conversation('zmq', { zmqMode: 'req' }).open({ leaseMs: 1_000 });
    late.wait(1_000).send({ op: 'keepalive', id: 2 }).receive({ op: 'error', code: 'SESSION_ENDED', message: 'ended' });
    late.send({ op: 'keepalive', id: 3 }).receive({ op: 'error', id: 3, code: 'NO_SESSION', message: 'x' });
    expect(late.violations).toEqual([]);
    // A reply that does not depend on the session (BAD_MESSAGE) proves nothing: the lease may have run out unseen before it.
    const unseen = new Conversation('zmq', { zmqMode: 'req' }).open({ leaseMs: 1_000 });
    unseen.wait(1_000).send('[]').receive({ op: 'error', code: 'BAD_MESSAGE', message: 'x' });
    unseen.wait(10).send({ op: 'keepalive', id: 2 }).receive({ op: 'error', id: 2, code: 'NO_SESSION', message: 'x' });
    expect(unseen.violations).toEqual([]);
    const early = new Conversation('zmq', { zmqMode: 'req' }).open({ leaseMs: 1_000 });
    early.wait(500).send({ op: 'keepalive', id: 2 }).receive({ op: 'error', code: 'SESSION_ENDED', message: 'ended' });
    expect(early.rules).toEqual(['wrong-reply']);
  });

  it('accepts the documented close for the bad-message rate', () => {
    const talk = new Conversation();
    for (let index = 0; index < 100; index++) talk.send('[]').receive({ op: 'error', code: 'BAD_MESSAGE', message: 'x' });
    talk.send('[]').receive({ op: 'error', code: 'BAD_MESSAGE', message: 'more than 100 bad messages in one second; closing the connection' });
    talk.oracle.peerClosed(talk.time, 'FIN');
    expect(talk.violations).toEqual([]);
    expect(talk.notes).toContain('closed: bad-message rate');
  });
});

describe('the reply oracle catches replies the spec does not allow', () => {
  it('an id echoed with another type ("1" for 1)', () => {
    const talk = new Conversation();
    talk.send({ op: 'hello', id: 1 }).receive({ op: 'welcome', id: '1', v: 1, session: 's1', secret: 'x', leaseMs: 10_000, resumed: false });
    expect(talk.rules).toEqual(['wrong-reply']);
  });

  it('an error code that is not in section 6', () => {
    const talk = new Conversation();
    talk.send('[]').receive({ op: 'error', code: 'OOPS', message: 'x' });
    expect(talk.rules).toEqual(['malformed-message']);
  });

  it('an id on the error of bytes that are not UTF-8', () => {
    const talk = new Conversation();
    talk.send(Buffer.concat([Buffer.from('{"op":"keepalive","id":5,"x":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])).receive({ op: 'error', id: 5, code: 'BAD_JSON', message: 'x' });
    expect(talk.rules).toEqual(['wrong-reply']);
  });

  it('a request answered twice', () => {
    const talk = new Conversation().open();
    talk.send({ op: 'keepalive', id: 2 }).receive({ op: 'alive', id: 2, leaseMs: 10_000 }).receive({ op: 'alive', id: 2, leaseMs: 10_000 });
    expect(talk.rules).toEqual(['unexplained-message']);
  });

  it('a request left unanswered (the next reply does not fit it)', () => {
    const talk = new Conversation().open();
    talk.send({ op: 'keepalive', id: 2 }).send({ op: 'keepalive', id: 3 }).receive({ op: 'alive', id: 3, leaseMs: 10_000 });
    expect(talk.rules).toEqual(['wrong-reply']);
  });

  it('a try-lock that is queued', () => {
    const talk = new Conversation().open();
    talk.send({ op: 'acquire', id: 2, resource: 'r', waitMs: 0 }).receive({ op: 'queued', id: 2, resource: 'r', mode: 'exclusive', position: 1 });
    expect(talk.rules).toEqual(['wrong-reply']);
  });

  it('a release of a held lock refused NOT_HELD', () => {
    const talk = new Conversation().open();
    talk.send({ op: 'acquire', id: 2, resource: 'r' }).receive({ op: 'granted', id: 2, resource: 'r', mode: 'exclusive', token: '5', waitedMs: 0 });
    talk.send({ op: 'release', id: 3, resource: 'r', token: '5' }).receive({ op: 'error', id: 3, code: 'NOT_HELD', message: 'x' });
    expect(talk.rules).toEqual(['wrong-reply']);
  });

  it('a token that is not greater than the one before', () => {
    const talk = new Conversation().open();
    talk.send({ op: 'acquire', id: 2, resource: 'a' }).receive({ op: 'granted', id: 2, resource: 'a', mode: 'exclusive', token: '9', waitedMs: 0 });
    talk.send({ op: 'acquire', id: 3, resource: 'b' }).receive({ op: 'granted', id: 3, resource: 'b', mode: 'exclusive', token: '9', waitedMs: 0 });
    expect(talk.rules).toEqual(['wrong-reply']);
  });

  it('a lock lost to a lease that cannot have run out yet', () => {
    const talk = new Conversation().open({ leaseMs: 5_000 });
    talk.send({ op: 'acquire', id: 2, resource: 'a' }).receive({ op: 'granted', id: 2, resource: 'a', mode: 'exclusive', token: '9', waitedMs: 0 });
    talk.wait(1_000).receive({ op: 'lost', resource: 'a', token: '9', reason: 'lease-expired' });
    expect(talk.rules).toEqual(['wrong-push']);
  });

  it('a lock revoked when nobody sent a force-release with the admin token', () => {
    const talk = new Conversation().open();
    talk.send({ op: 'acquire', id: 2, resource: 'a' }).receive({ op: 'granted', id: 2, resource: 'a', mode: 'exclusive', token: '9', waitedMs: 0 });
    talk.send({ op: 'force-release', id: 3, resource: 'a', adminToken: 'wrong' });
    talk.receive({ op: 'lost', resource: 'a', token: '9', reason: 'revoked' });
    expect(talk.rules).toEqual(['wrong-push']);
  });

  it('a force-release with the right admin token is explained, a wrong one must be UNAUTHORIZED', () => {
    const right = new Conversation().open();
    right.send({ op: 'acquire', id: 2, resource: 'a' }).receive({ op: 'granted', id: 2, resource: 'a', mode: 'exclusive', token: '9', waitedMs: 0 });
    right.send({ op: 'force-release', id: 3, resource: 'a', adminToken: ADMIN_TOKEN }).receive({ op: 'lost', resource: 'a', token: '9', reason: 'revoked' });
    right.receive({ op: 'force-released', id: 3, resource: 'a', tokens: ['9'] });
    expect(right.violations).toEqual([]);
    const wrong = new Conversation();
    wrong.send({ op: 'force-release', id: 3, resource: 'a', adminToken: 'nope' }).receive({ op: 'force-released', id: 3, resource: 'a', tokens: ['9'] });
    expect(wrong.rules).toEqual(['wrong-reply']);
  });

  it('a resume with a wrong secret that is welcomed', () => {
    const first = new Conversation('tcp', { label: 'tcp#a' }).open({ session: 's9-aaaa', secret: 'right' });
    first.send({ op: 'status', id: 'p', resource: 'x' }).receive({ op: 'status', id: 'p', totalResources: 0, offset: 0, totalSessions: 1, resources: [], sessions: [] });
    first.oracle.finish();
    const second = new Conversation('tcp', { registry: first.registry, label: 'tcp#b' });
    second.send({ op: 'hello', id: 1, session: 's9-aaaa', secret: 'wrong' }).receive({ op: 'welcome', id: 1, v: 1, session: 's9-aaaa', secret: 'right', leaseMs: 10_000, resumed: true });
    expect(second.rules).toEqual(['wrong-reply']);
  });

  it('an exactly-once reply without its sn, or with the wrong one', () => {
    const missing = new Conversation().open({ exactlyOnce: true });
    missing.send({ op: 'keepalive', id: 2, seq: 1 }).receive({ op: 'alive', id: 2, leaseMs: 10_000 });
    expect(missing.rules).toEqual(['wrong-reply']);
    const skipped = new Conversation().open({ exactlyOnce: true });
    skipped.send({ op: 'keepalive', id: 2, seq: 1 }).receive({ op: 'alive', id: 2, leaseMs: 10_000, sn: 2 });
    expect(skipped.rules).toEqual(['wrong-reply']);
  });

  it('a reply to an exactly-once duplicate', () => {
    const talk = new Conversation().open({ exactlyOnce: true });
    talk.send({ op: 'keepalive', id: 2, seq: 1 }).receive({ op: 'alive', id: 2, leaseMs: 10_000, sn: 1 });
    talk.send({ op: 'keepalive', id: 2, seq: 1 }).receive({ op: 'alive', id: 2, leaseMs: 10_000, sn: 2 });
    expect(talk.rules).toEqual(['unexplained-message']);
  });

  it('a close for no reason the spec gives', () => {
    const talk = new Conversation().open();
    talk.send({ op: 'keepalive', id: 2 }).receive({ op: 'alive', id: 2, leaseMs: 10_000 });
    talk.oracle.peerClosed(talk.time, 'FIN');
    expect(talk.rules).toEqual(['unexpected-close']);
  });

  it('a rate-limit close before 100 bad messages can have been read in a second', () => {
    const talk = new Conversation();
    for (let index = 0; index < 10; index++) talk.send('[]').receive({ op: 'error', code: 'BAD_MESSAGE', message: 'x' });
    talk.send('[]').receive({ op: 'error', code: 'BAD_MESSAGE', message: 'more than 100 bad messages in one second; closing the connection' });
    expect(talk.rules).toEqual(['early-rate-limit-close']);
  });

  it('more than 100 bad messages read within a second, and the connection still served', () => {
    const talk = new Conversation();
    for (let index = 0; index < 101; index++) talk.send('[]').receive({ op: 'error', code: 'BAD_MESSAGE', message: 'x' });
    expect(talk.rules).toEqual(['rate-limit-not-enforced']);
  });

  it('an oversized message answered with anything but MESSAGE_TOO_LARGE, or a ws close other than 1009', () => {
    const answered = new Conversation().open();
    answered.send('x'.repeat(70_000)).receive({ op: 'error', code: 'BAD_JSON', message: 'x' });
    expect(answered.rules).toEqual(['wrong-reply']);
    const closed = new Conversation('ws').open();
    closed.send('x'.repeat(70_000)).receive({ op: 'error', code: 'MESSAGE_TOO_LARGE', message: 'x' });
    closed.oracle.peerClosed(closed.time, 'close 1000', 1000);
    expect(closed.rules).toEqual(['wrong-close-code']);
  });

  it('a status reply that breaks the paging rules or the byte budget', () => {
    const talk = new Conversation();
    talk.send({ op: 'status', id: 1 }).receive({ op: 'status', id: 1, totalResources: 3, offset: 0, totalSessions: 0, resources: [], sessions: [] });
    expect(talk.rules).toEqual(['wrong-reply']);
    const big = new Conversation();
    const resources = Array.from({ length: 100 }, (_, index) => ({ resource: `${'r'.repeat(500)}${index}`, holders: [], holding: 0, waiters: [], waiting: 0 }));
    const sessions = Array.from({ length: 100 }, (_, index) => ({ session: `s${index}-${'x'.repeat(100)}`, client: 'c'.repeat(60), leaseMs: 1, expiresInMs: 1, held: 0, waiting: 0 }));
    big.send({ op: 'status', id: 1 }).receive({ op: 'status', id: 1, totalResources: 100, offset: 0, totalSessions: 100, resources, sessions });
    expect(big.rules).toEqual(['wrong-reply']);
  });

  it('a binary ws message, a message that is not UTF-8, an unknown zmq control frame', () => {
    const ws = new Conversation('ws');
    ws.send('[]').receive({ op: 'error', code: 'BAD_MESSAGE', message: 'x' }, true);
    expect(ws.rules).toEqual(['binary-message']);
    const bytes = new Conversation();
    bytes.send('[]').receive(Buffer.from([0x7b, 0xff, 0x7d]));
    expect(bytes.rules).toEqual(['not-utf8']);
    const zmq = new Conversation('zmq', { zmqMode: 'handshaken' });
    zmq.send(CONTROL.HELLO).receive(Buffer.from([0x00, 0x09]));
    expect(zmq.rules).toEqual(['unknown-control-frame']);
  });
});
