import type { Transport } from '@baton/transport';

/** One transport to run the compliance suite against. */
export interface ComplianceTarget {
  /** Shown in the test names, e.g. `tcp`. */
  name: string;
  transport: Transport;
  /** Host to listen on and dial; default `127.0.0.1`. */
  host?: string;
  /** Whether an oversized frame gets `oversizedReply` before the close (tcp, ws: true; zmq: false). */
  repliesBeforeOversizeClose?: boolean;
  /** How a dial to a port nothing listens on fails. Default `CONNECT_REFUSED`; zmq (a connect never fails by itself) `CONNECT_TIMEOUT`. */
  nothingListening?: 'CONNECT_REFUSED' | 'CONNECT_TIMEOUT';
  /** The transport runs over TCP: link faults are tried through a {@link LinkProxy} (`PEER_GONE`). */
  overTcp?: boolean;
  /** The transport has a handshake after TCP's (ws, zmq): a TCP server that never answers makes a dial fail with `CONNECT_TIMEOUT`. */
  handshake?: boolean;
  /**
   * The transport heartbeats: a frozen link ends the connection with
   * `HEARTBEAT_TIMEOUT` on `side` (the end whose own heartbeats notice),
   * using `transport` (the same transport with heartbeats short enough for a test).
   */
  heartbeat?: { side: 'dialing' | 'listening'; transport: Transport };
}
