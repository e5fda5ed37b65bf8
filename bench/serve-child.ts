// `antispoof serve` in a child process for the load benches: started on a free loopback port, stopped with SIGTERM
// (the graceful shutdown a service manager sends), its exit code returned. Its log (stdout) goes to /dev/null: the
// writes cost what they cost in production, without flooding the bench's output.
import { spawn } from 'node:child_process';

export interface Target {
  url: string;
  pid: number;
  /** SIGTERM, then the exit code once the process (and every thread's CPU profile, if any) is done. */
  stop(): Promise<number | null>;
}

export async function startServer(cli: string, args: string[], nodeArgs: string[] = []): Promise<Target> {
  const serveArgs = ['serve', '--port', '0', '--host', '127.0.0.1', ...args];
  const server = spawn(process.execPath, [...nodeArgs, cli, ...serveArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let stderr = '';
    server.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      process.stderr.write(chunk);
      stderr += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    server.on('exit', (code) => reject(new Error(`the server exited (${code}) before listening`)));
  });
  return {
    url,
    pid: server.pid!,
    stop() {
      server.kill('SIGTERM');
      return exited;
    },
  };
}
