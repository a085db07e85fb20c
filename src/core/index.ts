// The controller core: generic Kubernetes controller machinery on @kubernetes/client-node. Nothing in here
// knows about backups. Test doubles (FakeClock, FakeListWatch) are imported from their own files by tests.
export { realClock, sleep, yieldToEventLoop, type Clock, type TimerHandle } from './clock.ts';
export {
  Controller,
  keyFromLabels,
  type ControllerOptions,
  type MapFunc,
  type ReconcileOutcome,
  type Reconciler,
  type WatchOptions,
} from './controller.ts';
export {
  EventRecorder,
  type EventInfo,
  type EventRecorderOptions,
  type EventSink,
} from './event-recorder.ts';
export { HttpServer, parseBindAddress, type CheckResult, type HttpServerOptions } from './http-server.ts';
export { Informer, type InformerHandler, type InformerOptions } from './informer.ts';
export {
  KubeApiError,
  KubeRest,
  isConflict,
  isNotFound,
  microTime,
  resourcePath,
  type RequestOptions,
  type ResourceRef,
} from './kube-rest.ts';
export {
  LeaderElector,
  kubeLeaseStore,
  nextLeaseRecord,
  releasedLeaseRecord,
  type LeaderElectionOptions,
  type LeaseRecord,
  type LeaseStore,
  type ObservedLease,
} from './leader-election.ts';
export {
  kubeListWatch,
  type ListPage,
  type ListWatchSource,
  type WatchHandle,
  type WatchQuery,
} from './list-watch.ts';
export { createLogger, errorFields, silentLogger, type LogLevel, type Logger } from './logger.ts';
export { Manager, shutdownSignal, type LeaderElectionConfig, type ManagerOptions } from './manager.ts';
export { Metrics, type ControllerMetrics, type QueueMetrics } from './metrics.ts';
export {
  metadataOnly,
  objectKey,
  splitKey,
  withoutServerBookkeeping,
  type KubeObject,
  type ObjectMeta,
  type OwnerReference,
} from './object-key.ts';
export {
  ExponentialBackoffLimiter,
  MaxOfLimiter,
  TokenBucketLimiter,
  defaultControllerRateLimiter,
  type RateLimiter,
} from './rate-limiter.ts';
export { RecentWrites, type RecentWritesOptions } from './recent-writes.ts';
export { WorkQueue, type WorkQueueOptions } from './work-queue.ts';
