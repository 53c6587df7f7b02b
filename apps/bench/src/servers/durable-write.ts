/**
 * The physical limit of one durable change: `measureDurableWrite` from
 * `@baton/server` times small O_DSYNC appends exactly the way the
 * write-ahead log writes them. Nothing durable can acknowledge a change
 * faster than one such append; an acquire + release pair is two changes, so
 * "two fsyncs" is W1's floor for every durable system.
 */
export { measureDurableWrite } from '@baton/server';
export type { DurableWriteMeasurement } from '@baton/server';
