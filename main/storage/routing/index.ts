// Request routing by Kubernetes version: profiles (data), handler defaulting and validation, and
// the pure decide() the endpoint calls for every request.
export * from './profiles.js';
export * from './reasons.js';
export * from './options.js';
export * from './defaults.js';
export * from './validation.js';
export * from './decide.js';
export * from './whatif.js';
export * from './recursive.js';
