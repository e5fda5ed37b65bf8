// What bench/load.ts reads of a server process from /proc (Linux; NaN or empty elsewhere): memory, CPU per thread,
// open file descriptors. A process's figures include its children (the `--workers` of node:cluster).
import { readdirSync, readFileSync } from 'node:fs';

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Sum of `read(pid)` over a process and its children; NaN when /proc cannot be read. */
function overTree(pid: number, read: (pid: number) => number): number {
  try {
    return read(pid) + children(pid).reduce((sum, child) => sum + overTree(child, read), 0);
  } catch {
    return Number.NaN;
  }
}

/** Resident set size in bytes. */
export const rssBytes = (pid: number): number =>
  overTree(pid, (p) => {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : Number.NaN;
  });

/** Threads of the process tree (main, inference workers, libuv, V8, libvips, onnxruntime). */
export const threadCount = (pid: number): number =>
  overTree(pid, (p) => Number(/^Threads:\s+(\d+)$/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1]));

/** Open file descriptors (sockets, files, pipes, eventfds): what a leaked handle shows up as. */
export const openFds = (pid: number): number => overTree(pid, (p) => readdirSync(`/proc/${p}/fd`).length);

/** utime + stime of a /proc stat line, in seconds (clock ticks of 1/100 s). */
function statSeconds(path: string): number {
  // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
  const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds, user + system, of every thread (the inference workers included). */
export const cpuSeconds = (pid: number): number => overTree(pid, (p) => statSeconds(`/proc/${p}/stat`));

/**
 * CPU seconds per thread name over the tree: `main` (each process's event loop), `node` (the inference worker
 * threads), `libuv-worker`, `V8 DefaultWorke` (GC and compiler helpers), libvips' and onnxruntime's
 * own threads. Where the CPU goes before any profiler is attached.
 */
export function cpuByThread(pid: number): Map<string, number> {
  const totals = new Map<string, number>();
  const visit = (p: number) => {
    for (const tid of readdirSync(`/proc/${p}/task`)) {
      try {
        // Node names its worker threads `node` like the main thread: the main thread is the one whose id is the pid.
        const comm = readFileSync(`/proc/${p}/task/${tid}/comm`, 'utf8').trim();
        const name = tid === String(p) ? 'main' : comm;
        totals.set(name, (totals.get(name) ?? 0) + statSeconds(`/proc/${p}/task/${tid}/stat`));
      } catch {
        // the thread ended between the listing and the read
      }
    }
    for (const child of children(p)) visit(child);
  };
  try {
    visit(pid);
  } catch {
    // not Linux
  }
  return totals;
}

/** `after - before` per thread name; threads that ended in between are lost (their CPU with them). */
export function cpuDelta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [name, seconds] of after) delta.set(name, seconds - (before.get(name) ?? 0));
  return delta;
}
