/**
 * What one fuzzed connection will do, drawn from its seeded stream when it
 * starts: how many frames, whether it opens, resumes or takes over a session
 * (or none), plain or exactly-once, how it ends (goodbye, detaching to be
 * resumed later, dropping the socket, or offering its session to a
 * takeover), and a few special lives that exercise the documented closes:
 * a flood past the bad-message rate, a connection that never says hello,
 * a handshaken zmq peer that goes silent.
 */
import type { Random } from './random.js';
import type { TransportName } from './reply-oracle.js';
import type { SessionRegistry } from './session-model.js';

export interface ConnectionPlan {
  frames: number;
  hello: 'new' | 'resume' | 'takeover' | 'wrong-resume' | 'none';
  exactlyOnce: boolean;
  ending: 'goodbye' | 'detach' | 'abrupt' | 'offer';
  special: 'none' | 'flood' | 'idle' | 'silent';
  zmqMode: 'plain' | 'handshaken' | 'req';
}

export function makePlan(random: Random, transport: TransportName, registry: SessionRegistry): ConnectionPlan {
  const zmqMode = transport === 'zmq' ? random.weighted({ plain: 45, handshaken: 45, req: 10 }) : 'plain';
  const special = random.weighted({ none: 988, flood: 8, idle: 2, silent: transport === 'zmq' ? 2 : 0 });
  const hello = random.weighted({
    new: 80,
    resume: registry.detached.length > 0 ? 7 : 0,
    takeover: registry.offered.length > 0 ? 3 : 0,
    'wrong-resume': 2,
    none: 8,
  });
  return {
    frames: random.logInt(20, 1_500),
    hello,
    // A REQ client cannot be exactly-once: 3.1 leaves a duplicate unanswered, and a REQ socket waits for an answer to every request.
    exactlyOnce: zmqMode !== 'req' && random.chance(0.25),
    ending: random.weighted({ goodbye: 55, detach: 25, abrupt: 12, offer: zmqMode === 'req' ? 0 : 8 }),
    special: zmqMode === 'req' ? 'none' : special,
    zmqMode,
  };
}
