/**
 * @baton/etcd-group — several Baton coordinators in one group on etcd: one
 * leader elected through an etcd lease and election key
 * ({@link CoordinatorElection}), the others standing by, and the leader's
 * input log replicated through etcd, every group commit fenced on its
 * leadership ({@link EtcdLog}).
 */
export * from './coordinator-election.js';
export * from './etcd-log.js';
export * from './group-member.js';
export * from './log-follower.js';
