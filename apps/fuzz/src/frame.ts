/**
 * A frame is what the fuzzer hands to a transport in one write: one line on
 * tcp (the terminator is added by the sender), one WebSocket message, one
 * ZeroMQ frame. It is bytes, not a message: a mutation may have made it
 * invalid UTF-8, put a raw line feed in it (two messages on tcp, one broken
 * one elsewhere), or emptied it. `framing.ts` says which messages the server
 * reads from it on each transport.
 */
export interface Frame {
  bytes: Buffer;
  /** What made it: the template and the mutations applied (`acquire+wrong-type(waitMs)`). */
  label: string;
  /** ws: send as a binary message (the server must read it exactly as a text one, 2). */
  binary?: boolean;
}

/** A frame of JSON text built as a list of `"key":value` pairs (each already JSON text), so mutations can work on fields. */
export interface FieldList {
  entries: [key: string, value: string][];
  label: string;
}

export function frameOf(bytes: Buffer | string, label: string): Frame {
  return { bytes: typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes, label };
}

export function serialise(fields: FieldList): string {
  return `{${fields.entries.map(([key, value]) => `${key}:${value}`).join(',')}}`;
}

/** `"name"` as JSON text. */
export function key(name: string): string {
  return JSON.stringify(name);
}

/** A value as JSON text. */
export function json(value: unknown): string {
  return JSON.stringify(value);
}
