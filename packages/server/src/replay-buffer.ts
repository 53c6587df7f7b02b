/**
 * The messages an exactly-once session has been sent and has not yet
 * acknowledged (docs/protocol.md 3.1), in `sn` order.
 *
 * Every message to such a session is stamped with the next `sn` and kept
 * here until an `ack` covers it; a resume sends again everything after the
 * hello's `ack`. Acknowledged messages leave from the front, so the buffer is
 * an array with a moving head, compacted when the dead front outgrows the
 * live part: each message is copied at most once more, and a steady stream of
 * send-then-ack costs O(1) per message.
 */
export class ReplayBuffer {
  private texts: string[] = [];
  /** Index in `texts` of the oldest unacknowledged message. */
  private head = 0;
  /** The `sn` of the last message stamped (0 before the first). */
  private lastSn = 0;

  /** The last `sn` sent, for the welcome. */
  get lastSent(): number {
    return this.lastSn;
  }

  /** How many messages wait for an acknowledgement. */
  get size(): number {
    return this.texts.length - this.head;
  }

  /**
   * Stamp `text` (one JSON object) with the next `sn`, keep it, and return
   * the stamped text to send.
   */
  stamp(text: string): string {
    const sn = ++this.lastSn;
    const stamped = `${text.slice(0, -1)},"sn":${sn}}`;
    this.texts.push(stamped);
    return stamped;
  }

  /** Forget every message up to and including `sn`. Smaller or repeated acks change nothing. */
  acknowledge(sn: number): void {
    const firstKept = this.lastSn - this.size + 1;
    const drop = Math.min(this.size, sn - firstKept + 1);
    if (drop <= 0) return;
    this.head += drop;
    if (this.head === this.texts.length) {
      this.texts = [];
      this.head = 0;
    } else if (this.head > 1_024 && this.head > this.size) {
      this.texts = this.texts.slice(this.head);
      this.head = 0;
    }
  }

  /** A buffer holding exactly what `unacknowledged()` and `lastSent` of another one said (a snapshot's copy). */
  static restore(lastSent: number, unacknowledged: readonly string[]): ReplayBuffer {
    const buffer = new ReplayBuffer();
    buffer.lastSn = lastSent;
    buffer.texts = [...unacknowledged];
    return buffer;
  }

  /** Every kept message, oldest first (after acknowledging the hello's `ack`, these are what a resume sends again). */
  unacknowledged(): string[] {
    return this.texts.slice(this.head);
  }
}
