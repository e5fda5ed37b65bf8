export { createServer } from './app.js';
export { SERVER_DEFAULTS, type ServerOptions, type ServiceChecker } from './options.js';
export { closeOnSignals } from './shutdown.js';
