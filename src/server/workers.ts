import cluster from 'node:cluster';

/**
 * Runs `workers` copies of this process sharing one listening port (node:cluster). Detection, crop and the quality
 * gate are JavaScript on the main thread, so one process tops out near one core; workers use the others.
 * The primary forwards SIGINT/SIGTERM and exits when every worker has finished its requests and exited.
 */
export function forkWorkers(workers: number, log: (message: string) => void): void {
  for (let i = 0; i < workers; i++) cluster.fork();
  let alive = workers;
  let stopping = false;
  cluster.on('exit', (worker, code, signal) => {
    alive--;
    if (!stopping) log(`worker ${worker.process.pid} exited (${signal ?? code}); ${alive} left`);
    if (alive === 0) process.exit(stopping ? 0 : 1);
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    });
  log(`primary ${process.pid}: ${workers} workers`);
}

export const isPrimary = (): boolean => cluster.isPrimary;
