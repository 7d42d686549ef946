import {
  BATCH_METRICS,
  BATCH_METRIC_NAMES,
  DUPLICATES_SKIPPED_METRIC,
  FAILED_RECORDS_METRIC,
  FAILURE_REASONS,
  FAILURE_REASON_DESCRIPTIONS,
  LATENCY_METRICS,
  LATENCY_METRIC_NAMES,
  legsOn,
  METRIC_NAMESPACE,
  consumerDimensions,
  failureReasonDimensions,
  type FailureReason,
} from "../metrics";
import type { QueueRole } from "../../../config/names";

describe("metric contract", () => {
  it("uses the seed's namespace", () => {
    expect(METRIC_NAMESPACE).toBe("SnsSqsMultiRegion");
  });

  it("defines every latency leg in milliseconds at high resolution, with a formula", () => {
    expect(Object.keys(LATENCY_METRICS).sort()).toEqual([...LATENCY_METRIC_NAMES].sort());
    for (const name of LATENCY_METRIC_NAMES) {
      const metric = LATENCY_METRICS[name];
      expect(metric).toMatchObject({ name, unit: "Milliseconds", resolution: 1 });
      expect(metric.formula).toMatch(/ - /);
      expect(metric.description.length).toBeGreaterThan(10);
    }
    expect(LATENCY_METRIC_NAMES).toEqual([
      "ProducerToSnsLatency",
      "SnsToSqsLatency",
      "ProducerToSqsLatency",
      "SqsDwellLatency",
      "SqsToConsumerLatency",
      "EndToEndLatency",
    ]);
  });

  it("measures the SNS legs only on the SNS path and ProducerToSqs only on the direct path", () => {
    const onPath = (path: "sns" | "direct") =>
      LATENCY_METRIC_NAMES.filter((name) => LATENCY_METRICS[name].paths.includes(path));
    expect(onPath("sns")).toEqual([
      "ProducerToSnsLatency",
      "SnsToSqsLatency",
      "SqsDwellLatency",
      "SqsToConsumerLatency",
      "EndToEndLatency",
    ]);
    expect(onPath("direct")).toEqual([
      "ProducerToSqsLatency",
      "SqsDwellLatency",
      "SqsToConsumerLatency",
      "EndToEndLatency",
    ]);
  });

  it("measures ProducerToSqs instead of the SNS legs on the raw-delivery path", () => {
    expect(legsOn("raw")).toEqual([
      "ProducerToSqsLatency",
      "SqsDwellLatency",
      "SqsToConsumerLatency",
      "EndToEndLatency",
    ]);
    expect(legsOn("sns")).not.toContain("ProducerToSqsLatency");
  });

  it("defines batch counts and failures by reason as counts", () => {
    expect(BATCH_METRIC_NAMES).toEqual(["BatchSize", "Processed", "Failed", "NegativeLatencies"]);
    for (const name of BATCH_METRIC_NAMES) {
      expect(BATCH_METRICS[name]).toMatchObject({ name, unit: "Count" });
    }
    expect(FAILED_RECORDS_METRIC).toMatchObject({ name: "FailedRecords", unit: "Count" });
    expect(DUPLICATES_SKIPPED_METRIC).toMatchObject({ name: "DuplicatesSkipped", unit: "Count" });
    expect(Object.keys(FAILURE_REASON_DESCRIPTIONS).sort()).toEqual([...FAILURE_REASONS].sort());
  });

  it("has no two metrics with the same name", () => {
    const names = [
      ...LATENCY_METRIC_NAMES,
      ...BATCH_METRIC_NAMES,
      FAILED_RECORDS_METRIC.name,
      DUPLICATES_SKIPPED_METRIC.name,
    ];
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("consumerDimensions", () => {
  it("is the fan-out unit as Powertools' service dimension plus the queue role", () => {
    expect(consumerDimensions("fanout-primary", "replica")).toStrictEqual({
      service: "fanout-primary",
      Role: "replica",
    });
  });

  it("adds Reason for FailedRecords", () => {
    expect(failureReasonDimensions("fanout-primary", "active", "InvalidJson")).toStrictEqual({
      service: "fanout-primary",
      Role: "active",
      Reason: "InvalidJson",
    });
  });

  it("throws when the unit name is empty or has characters CloudWatch names reject", () => {
    expect(() => consumerDimensions("", "active")).toThrow(
      'Invalid fan-out unit name "": expected 1-255 characters of [A-Za-z0-9_-]',
    );
    expect(() => consumerDimensions("fanout primary", "active")).toThrow(/fanout primary/);
  });

  it("throws when the role or the reason is unknown", () => {
    expect(() => consumerDimensions("fanout-primary", "standby" as QueueRole)).toThrow(
      'Invalid queue role "standby": expected one of active, replica',
    );
    expect(() =>
      failureReasonDimensions("fanout-primary", "active", "Timeout" as FailureReason),
    ).toThrow(/Invalid failure reason "Timeout"/);
  });
});
