/**
 * The process-wide table of memory "ports", so that a dial anywhere in the
 * process finds the listener the way a TCP dial finds a bound socket.
 *
 * Ports are plain numbers in the TCP range; the host is not part of the key
 * (there is only one "machine"), which keeps `127.0.0.1` and `localhost`
 * interchangeable in tests.
 */
export class PortRegistry<Entry> {
  /** Where the search for a free port starts: the IANA dynamic range, like an OS would pick. */
  static readonly FIRST_DYNAMIC_PORT = 49152;
  static readonly LAST_PORT = 65535;

  readonly #entries = new Map<number, Entry>();
  #nextDynamicPort = PortRegistry.FIRST_DYNAMIC_PORT;

  /**
   * Binds the entry made by `create` to `port` (0 picks a free one) and
   * returns it. `create` is told the bound port, which is only known here.
   * Throws an `EADDRINUSE` error when the port is taken, like node:net.
   */
  bind(port: number, create: (boundPort: number) => Entry): Entry {
    if (!Number.isInteger(port) || port < 0 || port > PortRegistry.LAST_PORT) {
      throw new RangeError(`port must be an integer from 0 to ${PortRegistry.LAST_PORT}, got ${port}`);
    }
    const boundPort = port === 0 ? this.#pickFreePort() : port;
    if (this.#entries.has(boundPort)) {
      throw Object.assign(new Error(`memory port ${boundPort} is already in use`), { code: 'EADDRINUSE' });
    }
    const entry = create(boundPort);
    this.#entries.set(boundPort, entry);
    return entry;
  }

  /** The entry bound to `port`, if any. */
  lookup(port: number): Entry | undefined {
    return this.#entries.get(port);
  }

  /** Frees `port` if it is still bound to `entry` (a later bind of the same number is left alone). */
  release(port: number, entry: Entry): void {
    if (this.#entries.get(port) === entry) {
      this.#entries.delete(port);
    }
  }

  /**
   * Walks the dynamic range round-robin, so a port just released is not handed
   * out again at once (a late dial to the old listener then fails instead of
   * reaching a stranger).
   */
  #pickFreePort(): number {
    const rangeSize = PortRegistry.LAST_PORT - PortRegistry.FIRST_DYNAMIC_PORT + 1;
    for (let attempt = 0; attempt < rangeSize; attempt += 1) {
      const candidate = this.#nextDynamicPort;
      this.#nextDynamicPort =
        candidate === PortRegistry.LAST_PORT ? PortRegistry.FIRST_DYNAMIC_PORT : candidate + 1;
      if (!this.#entries.has(candidate)) {
        return candidate;
      }
    }
    throw Object.assign(new Error('no free memory port left'), { code: 'EADDRINUSE' });
  }
}
