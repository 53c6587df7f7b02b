/**
 * A source of connection ids for one transport: `tcp-1`, `tcp-2`, … Unique
 * within the process across both ends, so the logs of an in-process client
 * and server never share an id.
 */
export function connectionIds(scheme: string): () => string {
  let next = 1;
  return () => `${scheme}-${String(next++)}`;
}
