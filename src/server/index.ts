export { createServer } from './app.js';
export { resolveServerOptions, SERVER_DEFAULTS, type ServerOptions, type ServiceChecker } from './options.js';
export { closeOnSignals } from './shutdown.js';
export { forkWorkers, isPrimary } from './workers.js';
