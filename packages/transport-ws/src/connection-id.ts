let nextConnectionNumber = 1;

/** `ws-17`: unique within the process across both ends, so an in-process client and server never share an id. */
export function nextConnectionId(): string {
  return `ws-${String(nextConnectionNumber++)}`;
}
