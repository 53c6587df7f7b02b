let nextConnectionNumber = 1;

/** `zmq-17`: unique within the process across both ends, so logs of an in-process client and server never mix ids. */
export function nextConnectionId(): string {
  return `zmq-${String(nextConnectionNumber++)}`;
}
