import { SingleBar, Presets } from 'cli-progress';

/** A progress bar on stderr for a terminal, a line every ~5% otherwise (logs, CI). */
export function createProgress(label: string): { update: (done: number, total: number) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new SingleBar(
      { format: `${label} [{bar}] {value}/{total} {percentage}% eta {eta_formatted}`, stream: process.stderr },
      Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total) {
        if (!started) bar.start(total, done);
        started = true;
        bar.update(done);
      },
      stop: () => bar.stop(),
    };
  }
  let lastPercent = -1;
  return {
    update(done, total) {
      const percent = total === 0 ? 100 : Math.floor((done / total) * 20) * 5;
      if (percent !== lastPercent) process.stderr.write(`${label}: ${done}/${total} (${percent}%)\n`);
      lastPercent = percent;
    },
    stop: () => undefined,
  };
}
