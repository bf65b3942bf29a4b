export { Workload, DEFAULT_WORKLOAD_OPTIONS, WORKLOAD_LIMITS, type WorkloadOptions, type WorkloadExtras, type WorkloadStats } from './workload.js';
export { Transport, TransportClosedError, buildPath, statusOf, type EndpointConnection, type HttpResult, type Query, type RequestOptions, type StatusBody } from './transport.js';
export { WatchStream, type WatchEventJson, type WatchEventType, type WatchStreamEnd } from './watch-stream.js';
export { JsonObjectFramer } from '../util/json-object-framer.js';
export { Reflector, itemKey, type ReflectorOptions, type ReflectorStats, type ReflectorState } from './reflector.js';
export { PodController, DEFAULT_CONTROLLER_OPTIONS, type PodControllerOptions, type PodControllerStats, type WriteOp } from './controller.js';
export { listAll, PeriodicLister, type ListOptions, type ListOutcome, type ListPage, type PeriodicListerStats } from './lister.js';
export { SlowReader, DEFAULT_SLOW_READER, type SlowReaderOptions, type SlowReaderStats } from './slow-reader.js';
export { podObject, namespaceObject, podsPath, podPath, nodeName, namespaceName, DEMO_LABEL } from './pods.js';
