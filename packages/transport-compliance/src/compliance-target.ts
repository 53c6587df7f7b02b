import type { Transport } from '@baton/core';

/** One transport to run the compliance suite against. */
export interface ComplianceTarget {
  /** Shown in the test names, e.g. `tcp`. */
  name: string;
  transport: Transport;
  /** Host to listen on and dial; default `127.0.0.1`. */
  host?: string;
  /** Whether an oversized frame gets `oversizedReply` before the close (tcp, ws: true; zmq: false). */
  repliesBeforeOversizeClose?: boolean;
}
