/**
 * @baton/etcd-group — several Baton coordinators in one group on etcd: one
 * leader elected through an etcd lease and election key
 * ({@link CoordinatorElection}), the others standing by.
 */
export * from './coordinator-election.js';
