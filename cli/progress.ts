/** Progress of a load test: a bar on a terminal, a line every 10% otherwise (CI logs, pipes). */
import { Presets, SingleBar } from "cli-progress";

export interface Progress {
  start(total: number): void;
  /** `done` messages are finished (delivered or given up), `failed` of them given up. */
  update(done: number, failed: number): void;
  /** A line of its own (a failover notice) that must not be overwritten by the bar. */
  log(line: string): void;
  stop(): void;
}

/** Writes plain progress lines, at most one per 10% step. */
export function lineProgress(print: (line: string) => void): Progress {
  let total = 0;
  let lastStep = 0;
  return {
    start(n) {
      total = n;
      lastStep = 0;
    },
    update(done, failed) {
      const step = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (step > lastStep) {
        lastStep = step;
        print(
          `progress: ${done}/${total} (${Math.floor((done / total) * 100)}%), ${failed} failed`,
        );
      }
    },
    log: print,
    stop() {},
  };
}

/** A cli-progress bar on a terminal stream. */
export function barProgress(stream: NodeJS.WritableStream): Progress {
  const bar = new SingleBar(
    {
      stream,
      format:
        "load test |{bar}| {percentage}% | {value}/{total} messages | {failed} failed | ETA {eta_formatted}",
      hideCursor: true,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  let failedCount = 0;
  return {
    start(total) {
      bar.start(total, 0, { failed: 0 });
    },
    update(done, failed) {
      failedCount = failed;
      bar.update(done, { failed });
    },
    log(line) {
      // Clear the bar's line, print the notice, then draw the bar again below it.
      stream.write(`\r\x1b[2K${line}\n`);
      bar.update({ failed: failedCount });
      bar.render();
    },
    stop() {
      bar.stop();
    },
  };
}
