import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type MetricDataQuery,
} from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import {
  crossRegionLag,
  formatLatencyReport,
  latencyQueries,
  metricWindow,
  readLatency,
  serviceOf,
} from "../latency";
import { LATENCY_METRIC_NAMES } from "../metric-contract";
import { outputsFile, stackOutputs, testClients } from "./helpers";

const cwMock = mockClient(CloudWatchClient);
beforeEach(() => cwMock.reset());

type Canned = Record<string, Partial<Record<"p50" | "p90" | "p99", number>>>;

/** Answers GetMetricData from per-(region, role) canned percentiles, keyed by metric name. */
function answerFrom(canned: Record<string, Canned>) {
  const seen: { region: string; input: GetMetricDataCommandInput }[] = [];
  cwMock.on(GetMetricDataCommand).callsFake(async (input: GetMetricDataCommandInput, getClient) => {
    const region = await getClient().config.region();
    seen.push({ region, input });
    const results = (input.MetricDataQueries ?? []).map((q: MetricDataQuery) => {
      const metric = q.MetricStat!.Metric!;
      const role = metric.Dimensions!.find((d) => d.Name === "Role")!.Value!;
      const value =
        canned[`${region}/${role}`]?.[metric.MetricName!]?.[q.MetricStat!.Stat as "p50"];
      return {
        Id: q.Id,
        Values: value === undefined ? [] : [value],
        Timestamps: value === undefined ? [] : [input.StartTime],
        StatusCode: "Complete",
      };
    });
    return { MetricDataResults: results };
  });
  return seen;
}

describe("latency queries", () => {
  it("asks every leg at p50/p90/p99 with the service and role dimensions", () => {
    const queries = latencyQueries("fanout-primary", "replica", 900);
    expect(queries).toHaveLength(LATENCY_METRIC_NAMES.length * 3);
    expect(new Set(queries.map((q) => q.Id)).size).toBe(queries.length);
    expect(queries.every((q) => /^[a-z][a-zA-Z0-9_]*$/.test(q.Id!))).toBe(true);
    expect(queries[0]).toEqual({
      Id: "l0_p50",
      ReturnData: true,
      MetricStat: {
        Metric: {
          Namespace: "SnsSqsMultiRegion",
          MetricName: "ProducerToSnsLatency",
          Dimensions: [
            { Name: "service", Value: "fanout-primary" },
            { Name: "Role", Value: "replica" },
          ],
        },
        Period: 900,
        Stat: "p50",
      },
    });
  });

  it("covers the window with one period of whole minutes", () => {
    const now = Date.parse("2025-06-01T12:00:30Z");
    expect(metricWindow(now, 15 * 60_000)).toEqual({
      start: new Date("2025-06-01T11:46:00Z"),
      end: new Date("2025-06-01T12:01:00Z"),
      periodSeconds: 900,
    });
    expect(metricWindow(now, 30_000).periodSeconds).toBe(60);
    expect(metricWindow(now, 90_000).periodSeconds).toBe(120);
  });

  it("takes the service from the stack's metric_service_name output, --service first", () => {
    const file = outputsFile({
      primary: { metric_service_name: "fanout-primary", topic_name: "events" },
    });
    expect(serviceOf(file.stack("primary"))).toBe("fanout-primary");
    expect(serviceOf(file.stack("primary"), "custom")).toBe("custom");
  });

  it("derives the service from the topic name, or takes --service", () => {
    const file = outputsFile();
    expect(serviceOf(file.stack("primary"))).toBe("fanout-primary");
    expect(serviceOf(file.stack("primary"), "custom")).toBe("custom");
    const odd = outputsFile({ primary: { topic_name: "events" } }).stack("primary");
    expect(() => serviceOf(odd)).toThrow(
      'cannot derive the metric service of stack "primary" from topic_name "events" (expected <service>-topic); pass --service',
    );
  });
});

describe("latency report", () => {
  const regions = ["us-east-1", "us-west-2", "eu-west-1"];
  const file = outputsFile({ primary: stackOutputs("primary", "us-east-1", regions) });

  it("reads each queue in its own region and computes the cross-region lag", async () => {
    const seen = answerFrom({
      "us-east-1/active": {
        ProducerToSnsLatency: { p50: 20, p90: 35, p99: 80 },
        EndToEndLatency: { p50: 230, p90: 260, p99: 400 },
      },
      "us-west-2/replica": {
        EndToEndLatency: { p50: 290, p90: 330, p99: 520.5 },
      },
      "eu-west-1/replica": {
        EndToEndLatency: { p50: 310 }, // p90 and p99 missing
      },
    });
    const report = await readLatency({
      stack: file.stack("primary"),
      service: "fanout-primary",
      sinceMs: 15 * 60_000,
      cloudWatch: (region) => testClients().cloudWatch(region),
      nowMs: Date.parse("2025-06-01T12:00:00Z"),
    });

    expect(seen.map((s) => s.region).sort()).toEqual(["eu-west-1", "us-east-1", "us-west-2"]);
    const roleAsked = (region: string) =>
      seen.find((s) => s.region === region)!.input.MetricDataQueries![0].MetricStat!.Metric!
        .Dimensions![1].Value;
    expect(roleAsked("us-east-1")).toBe("active");
    expect(roleAsked("us-west-2")).toBe("replica");
    expect(seen[0].input.StartTime).toEqual(new Date("2025-06-01T11:45:00Z"));

    const [active, west, eu] = report.queues;
    expect(crossRegionLag(active.latency!, west.latency!)).toEqual({
      p50: 60,
      p90: 70,
      p99: 120.5,
    });
    expect(crossRegionLag(active.latency!, eu.latency!)).toEqual({
      p50: 80,
      p90: undefined,
      p99: undefined,
    });

    const text = formatLatencyReport(report);
    expect(text).not.toMatch(/NaN|undefined/);
    const lines = text.split("\n");
    expect(lines[0]).toBe("latency of stack primary (service fanout-primary), last 15m, in ms");
    expect(lines).toContainEqual(
      expect.stringMatching(/^active us-east-1 +ProducerToSnsLatency +20\.0 +35\.0 +80\.0$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^active us-east-1 +EndToEndLatency +230 +260 +400$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^active us-east-1 +SnsToSqsLatency +- +- +-$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^replica us-west-2 +60\.0 +70\.0 +121$/));
    expect(lines).toContainEqual(expect.stringMatching(/^replica eu-west-1 +80\.0 +- +-$/));
  });

  it("prints - for a region whose metrics cannot be read, and says why", async () => {
    cwMock.on(GetMetricDataCommand).callsFake(async (_input, getClient) => {
      if ((await getClient().config.region()) === "eu-west-1") {
        throw Object.assign(new Error("User is not authorized"), { name: "AccessDenied" });
      }
      return { MetricDataResults: [] };
    });
    const report = await readLatency({
      stack: file.stack("primary"),
      service: "fanout-primary",
      sinceMs: 60_000,
      cloudWatch: (region) => testClients().cloudWatch(region),
    });
    const text = formatLatencyReport(report);
    expect(text).toContain(
      "replica eu-west-1: metrics not read: AccessDenied: User is not authorized",
    );
    expect(text).not.toMatch(/NaN|undefined/);
  });

  it("says there is no data for the window instead of printing a table of -", async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const report = await readLatency({
      stack: file.stack("primary"),
      service: "fanout-primary",
      sinceMs: 5 * 60_000,
      cloudWatch: (region) => testClients().cloudWatch(region),
    });
    expect(formatLatencyReport(report).split("\n")).toEqual([
      "latency of stack primary (service fanout-primary), last 5m, in ms",
      "active us-east-1: no data for the last 5m",
      "replica us-west-2: no data for the last 5m",
      "replica eu-west-1: no data for the last 5m",
    ]);
  });

  it("follows NextToken pages", async () => {
    cwMock
      .on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: "l5_p50", Values: [250] }], NextToken: "t" })
      .resolves({ MetricDataResults: [{ Id: "l5_p99", Values: [900] }] });
    const report = await readLatency({
      stack: outputsFile().stack("primary"),
      service: "fanout-primary",
      sinceMs: 60_000,
      cloudWatch: (region) => testClients().cloudWatch(region),
    });
    expect(report.queues[0].latency!.EndToEndLatency).toEqual({
      p50: 250,
      p90: undefined,
      p99: 900,
    });
    const tokens = cwMock.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input.NextToken);
    expect(tokens).toContain("t");
  });
});
