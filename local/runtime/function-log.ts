/**
 * What CloudWatch Logs does with a function's output: every line goes to the function's log file
 * (`<logs>/<function name>.log`), with the platform's START, END and REPORT lines, and every EMF
 * line on stdout becomes PutMetricData calls in the function's region.
 */
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { parseEmf } from "./emf";
import type { LocalCredentials } from "./function-package";
import type { DeployedFunction } from "./types";

/** What one invocation measured, for the platform's REPORT line. */
export interface Report {
  readonly requestId: string;
  readonly durationMs: number;
  readonly memoryUsedMb?: number;
  readonly initDurationMs?: number;
  readonly status: "success" | "error" | "timeout" | "failure";
}

export interface FunctionLogOptions {
  readonly logsDir: string;
  /** Endpoint of the function's region, for the metric forwarder's own client. */
  readonly endpointUrl: string;
  readonly credentials: LocalCredentials;
  /** Client for the extracted metrics; without one, the log makes (and closes) its own. */
  readonly cloudWatch?: CloudWatchClient;
  /** Called with every line the function (or the platform) logs. */
  readonly onLog?: (line: string) => void;
  /** Called when an EMF line is invalid or a PutMetricData call fails. */
  readonly warn: (message: string) => void;
}

/** One function's log file and metric forwarding. */
export class FunctionLog {
  private readonly cloudWatch: CloudWatchClient;
  private readonly ownsCloudWatch: boolean;
  private readonly pendingMetrics = new Set<Promise<void>>();
  private logFd: number | undefined;

  constructor(
    private readonly fn: DeployedFunction,
    private readonly options: FunctionLogOptions,
  ) {
    this.cloudWatch =
      options.cloudWatch ??
      new CloudWatchClient({
        region: fn.region,
        endpoint: options.endpointUrl,
        credentials: options.credentials,
      });
    this.ownsCloudWatch = options.cloudWatch === undefined;
    mkdirSync(options.logsDir, { recursive: true });
    this.logFd = openSync(join(options.logsDir, `${fn.name}.log`), "a");
  }

  /** Appends one line to the log file and hands it to `onLog`. */
  write(line: string): void {
    if (this.logFd !== undefined) writeSync(this.logFd, `${line}\n`);
    this.options.onLog?.(line);
  }

  /** A line the function printed: logged, and its metrics sent when it is EMF on stdout. */
  output(line: string, stream: "stdout" | "stderr"): void {
    this.write(line);
    if (stream === "stdout") this.forwardMetrics(line);
  }

  /** Resolves when every PutMetricData call started so far has answered. */
  async flush(): Promise<void> {
    while (this.pendingMetrics.size > 0) await Promise.all([...this.pendingMetrics]);
  }

  /** Waits for the metrics in flight, then closes the client (if its own) and the file. */
  async close(): Promise<void> {
    await this.flush();
    if (this.ownsCloudWatch) this.cloudWatch.destroy();
    if (this.logFd !== undefined) closeSync(this.logFd);
    this.logFd = undefined;
  }

  private forwardMetrics(line: string): void {
    const { fn, options } = this;
    if (!line.startsWith("{") || !line.includes('"_aws"')) return;
    const parsed = parseEmf(line);
    if (parsed.kind === "invalid") {
      options.warn(`${fn.name}: EMF line ignored: ${parsed.reason}`);
      return;
    }
    if (parsed.kind !== "metrics") return;
    for (const request of parsed.requests) {
      const sent: Promise<void> = this.cloudWatch
        .send(new PutMetricDataCommand(request))
        .then(
          () => undefined,
          (error: Error) => options.warn(`${fn.name}: PutMetricData failed: ${error.message}`),
        )
        .finally(() => this.pendingMetrics.delete(sent));
      this.pendingMetrics.add(sent);
    }
  }
}

/** The platform's START or END line of an invocation, in the function's log format. */
export function platformLines(
  fn: DeployedFunction,
  kind: "start" | "end",
  requestId: string,
): string {
  if (fn.logFormat === "JSON") {
    const record = kind === "start" ? { requestId, version: "$LATEST" } : { requestId };
    return JSON.stringify({
      time: new Date().toISOString(),
      type: kind === "start" ? "platform.start" : "platform.runtimeDone",
      record,
    });
  }
  return kind === "start"
    ? `START RequestId: ${requestId} Version: $LATEST`
    : `END RequestId: ${requestId}`;
}

/** The platform's REPORT line of an invocation, in the function's log format. */
export function reportLine(fn: DeployedFunction, report: Report): string {
  const billed = Math.max(1, Math.ceil(report.durationMs));
  if (fn.logFormat === "JSON") {
    const metrics: Record<string, number> = {
      durationMs: round(report.durationMs),
      billedDurationMs: billed,
      memorySizeMB: fn.memoryMb,
    };
    if (report.memoryUsedMb !== undefined) metrics.maxMemoryUsedMB = report.memoryUsedMb;
    if (report.initDurationMs !== undefined) metrics.initDurationMs = round(report.initDurationMs);
    return JSON.stringify({
      time: new Date().toISOString(),
      type: "platform.report",
      record: { requestId: report.requestId, metrics, status: report.status },
    });
  }
  const parts = [
    `REPORT RequestId: ${report.requestId}`,
    `Duration: ${report.durationMs.toFixed(2)} ms`,
    `Billed Duration: ${billed} ms`,
    `Memory Size: ${fn.memoryMb} MB`,
  ];
  if (report.memoryUsedMb !== undefined) parts.push(`Max Memory Used: ${report.memoryUsedMb} MB`);
  if (report.initDurationMs !== undefined) {
    parts.push(`Init Duration: ${report.initDurationMs.toFixed(2)} ms`);
  }
  if (report.status !== "success" && report.status !== "error") {
    parts.push(`Status: ${report.status}`);
  }
  return parts.join("\t");
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
