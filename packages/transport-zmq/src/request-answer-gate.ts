import { decodeClientMessage, type RequestId } from '@baton/core';

/**
 * Which of the server's messages a REQ peer gets (docs/protocol.md 2.1, "REQ
 * clients").
 *
 * A ZeroMQ REQ socket alternates strictly: one request, then exactly one
 * reply, and it drops anything else the ROUTER sends it. Baton, however,
 * answers an acquire that must wait twice (`queued`, later `granted`) and
 * pushes messages nobody asked for (`lost`, a late `granted`). So for a REQ
 * peer the transport lets through exactly one message per request, the
 * answer, and drops the rest:
 *
 * - `queued` is never the answer (the later `granted` or `timeout` is), and
 *   `lost` never is (a REQ client learns of a loss when a later request fails);
 * - a message whose `id` is the request's `id` is the answer (no `id` on both
 *   sides counts as equal: a request without a readable id is answered
 *   without one);
 * - an `error` without `id` answers whatever is outstanding: it is either the
 *   refusal of an unreadable request or news that ends everything
 *   (SESSION_ENDED, SHUTTING_DOWN, TOO_MANY_CONNECTIONS), which the waiting
 *   client would otherwise never hear;
 * - a control frame (WELCOME, PONG, GOODBYE) answers the control request
 *   outstanding, or a Baton request when the transport gives up on the peer.
 *
 * Nothing is sent while no request is outstanding.
 */
export class RequestAnswerGate {
  /** The outstanding request's id (`undefined`: it had none), or no entry when nothing is outstanding. */
  #outstanding: { readonly id: RequestId | undefined } | undefined;

  /** True while the peer waits for its answer (it cannot send anything meanwhile). */
  get awaitingAnswer(): boolean {
    return this.#outstanding !== undefined;
  }

  /** A Baton request arrived; `text` is `undefined` when it could not be decoded at all. */
  requestArrived(text: string | undefined): void {
    this.#outstanding = { id: text === undefined ? undefined : readableId(text) };
  }

  /** A control request (HELLO, PING) arrived. */
  controlRequestArrived(): void {
    this.#outstanding = { id: undefined };
  }

  /** True when `message` is the answer to the outstanding request; it is then no longer outstanding. */
  admitMessage(message: string): boolean {
    const outstanding = this.#outstanding;
    if (outstanding === undefined || !isAnswer(message, outstanding.id)) return false;
    this.#outstanding = undefined;
    return true;
  }

  /** True when a control frame may go out as the answer; the request is then no longer outstanding. */
  admitControlFrame(): boolean {
    if (this.#outstanding === undefined) return false;
    this.#outstanding = undefined;
    return true;
  }
}

/** The request's id as the server reads it, so that the answer's `id` can be matched against it. */
function readableId(text: string): RequestId | undefined {
  const decoded = decodeClientMessage(text);
  if (!decoded.ok) return decoded.id;
  return 'id' in decoded.message ? decoded.message.id : undefined;
}

function isAnswer(message: string, requestId: RequestId | undefined): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null) return false;
  const { op, id } = parsed as { op?: unknown; id?: unknown };
  if (op === 'queued' || op === 'lost') return false;
  if (op === 'error' && id === undefined) return true;
  return id === requestId;
}
