import { barProgress, lineProgress } from "../progress";
import { Capture } from "./helpers";

describe("lineProgress", () => {
  it("prints at most one line per 10% step", () => {
    const lines: string[] = [];
    const progress = lineProgress((line) => lines.push(line));
    progress.start(500);
    for (let done = 1; done <= 500; done += 1) progress.update(done, done >= 495 ? 1 : 0);
    progress.stop();
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe("progress: 50/500 (10%), 0 failed");
    expect(lines[9]).toBe("progress: 500/500 (100%), 1 failed");
  });
});

describe("barProgress", () => {
  it("draws a bar on a terminal and keeps notices on their own lines", () => {
    const stream = Object.assign(new Capture(), { isTTY: true, columns: 120 });
    const progress = barProgress(stream as unknown as NodeJS.WritableStream);
    progress.start(20);
    progress.update(10, 0);
    progress.log("failover: primary/us-east-1 -> secondary/us-west-2");
    progress.update(20, 1);
    progress.stop();
    expect(stream.text).toContain("\r\x1b[2Kfailover: primary/us-east-1 -> secondary/us-west-2\n");
    expect(stream.text).toMatch(/load test \|[^|]+\| 100% \| 20\/20 messages \| 1 failed/);
  });
});
