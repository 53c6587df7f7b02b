import type { Router } from 'zeromq';

/** libzmq's ZMQ_ROUTER_NOTIFY socket option (zmq.h, a draft option zeromq.js is built with but does not name). */
const ZMQ_ROUTER_NOTIFY = 97;

/** ZMQ_NOTIFY_DISCONNECT: deliver a notice when a peer's connection ends. */
const ZMQ_NOTIFY_DISCONNECT = 2;

/**
 * Makes libzmq tell the ROUTER when a peer disconnects: the socket then
 * receives a message of the peer's routing id and one empty frame after the
 * last frame that peer sent. Without it a ROUTER never learns that a peer has
 * gone, so a plain DEALER that disconnects would keep its Connection (and a
 * slot of MAX_CONNECTIONS) until it timed out, and a new peer reusing its
 * routing id could speak for its session.
 *
 * Only disconnects are asked for: connects are seen anyway from a peer's
 * first frame, and a connect notice would be an empty frame just like the
 * one a DEALER with ZMQ_PROBE_ROUTER sends, which made the two impossible to
 * tell apart. The notice travels through the peer's own pipe, behind its
 * frames, and libzmq attaches a new peer with the same routing id only after
 * the old pipe is gone, so for one routing id the notice always comes before
 * the next incarnation's first frame.
 *
 * zeromq.js declares its typed option setters protected; this is the one
 * place that reaches past that.
 */
export function notifyOnDisconnect(router: Router): void {
  const options = router as unknown as { setInt32Option(option: number, value: number): void };
  options.setInt32Option(ZMQ_ROUTER_NOTIFY, ZMQ_NOTIFY_DISCONNECT);
}
