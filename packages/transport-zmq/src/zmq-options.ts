import type { DialOptions, ListenOptions } from '@baton/transport';

/** Heartbeat settings shared by both ends; see the constants in defaults.ts for why they are what they are. */
export interface ZmqHeartbeatOptions {
  /** How often an idle client pings. Default DEFAULT_HEARTBEAT_INTERVAL_MS. */
  heartbeatIntervalMs?: number;
  /** Silence after which the peer counts as dead. Default DEFAULT_HEARTBEAT_TIMEOUT_MS. */
  heartbeatTimeoutMs?: number;
}

export interface ZmqListenOptions extends ListenOptions, ZmqHeartbeatOptions {}

export interface ZmqDialOptions extends DialOptions, ZmqHeartbeatOptions {}
