import type { FastifyInstance } from 'fastify';

/**
 * SIGINT/SIGTERM: stop accepting, let the requests in flight finish, close the checker — what an orchestrator
 * expects between its SIGTERM and its SIGKILL. A second signal exits at once.
 */
export function closeOnSignals(
  app: FastifyInstance,
  options: { signals?: NodeJS.Signals[]; log?: (message: string) => void } = {},
): void {
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  const log = options.log ?? ((message: string) => process.stderr.write(`antispoof serve: ${message}\n`));
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      log(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    closing = true;
    log(`${signal}: finishing the requests in flight, then exiting`);
    app.close().then(
      () => {
        for (const name of signals) process.removeListener(name, onSignal);
        log('closed');
        // Anything that still holds the event loop (a lingering keep-alive socket) must not keep us up.
        setTimeout(() => process.exit(), 1000).unref();
      },
      (error: unknown) => {
        log(`failed to close cleanly: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  for (const name of signals) process.on(name, onSignal);
}
