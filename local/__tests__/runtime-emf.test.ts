import type { MetricDatum, PutMetricDataCommandInput } from "@aws-sdk/client-cloudwatch";
import fc from "fast-check";
import {
  REPLICA_ENV,
  STARTED_AT,
  captureStdout,
  snsBody,
  sqsEvent,
  sqsRecord,
} from "../../lambdas/consumer/__tests__/factories";
import { createConsumer } from "../../lambdas/consumer/handler";
import {
  LATENCY_METRICS,
  METRIC_NAMESPACE,
  consumerDimensions,
} from "../../lambdas/shared/metrics";
import { MAX_VALUES_PER_DATUM, emfToMetricData, parseEmf } from "../runtime/emf";

const TIMESTAMP = 1_732_417_200_090;

/** An EMF document of one directive. */
function emf(
  members: Record<string, unknown>,
  directive: Record<string, unknown> = {},
  timestamp: unknown = TIMESTAMP,
): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: "Shop",
          Dimensions: [["service"]],
          Metrics: [{ Name: "Latency", Unit: "Milliseconds", StorageResolution: 1 }],
          ...directive,
        },
      ],
    },
    service: "checkout",
    ...members,
  };
}

function withoutTimestamp(document: Record<string, unknown>): Record<string, unknown> {
  delete (document._aws as Record<string, unknown>).Timestamp;
  return document;
}

function data(requests: PutMetricDataCommandInput[]): MetricDatum[] {
  return requests.flatMap((request) => request.MetricData ?? []);
}

function reasonOf(line: string | object): string {
  const parsed = parseEmf(line);
  if (parsed.kind !== "invalid") throw new Error(`expected invalid EMF, got ${parsed.kind}`);
  return parsed.reason;
}

describe("emfToMetricData", () => {
  it("turns one value into one datum with the namespace, dimensions, unit, resolution and timestamp", () => {
    expect(emfToMetricData(JSON.stringify(emf({ Latency: 42 })))).toEqual([
      {
        Namespace: "Shop",
        MetricData: [
          {
            MetricName: "Latency",
            Dimensions: [{ Name: "service", Value: "checkout" }],
            Timestamp: new Date(TIMESTAMP),
            Unit: "Milliseconds",
            StorageResolution: 1,
            Value: 42,
          },
        ],
      },
    ]);
  });

  it("accepts an already parsed object", () => {
    expect(emfToMetricData(emf({ Latency: 42 }))).toEqual(
      emfToMetricData(JSON.stringify(emf({ Latency: 42 }))),
    );
  });

  it("tallies a list of values into Values and Counts", () => {
    const [datum] = data(emfToMetricData(emf({ Latency: [5, 7, 5, 5, 9] })));
    expect(datum).toMatchObject({ Values: [5, 7, 9], Counts: [3, 1, 1] });
    expect(datum.Value).toBeUndefined();
  });

  it(`splits more than ${MAX_VALUES_PER_DATUM} distinct values over several data`, () => {
    const values = Array.from({ length: 400 }, (_, i) => i);
    const split = data(emfToMetricData(emf({ Latency: values })));
    expect(split.map((datum) => datum.Values?.length)).toEqual([150, 150, 100]);
    expect(split.flatMap((datum) => datum.Values)).toEqual(values);
  });

  it("publishes every metric once per dimension set", () => {
    const line = emf(
      { Latency: 3, Errors: 1, Role: "replica" },
      {
        Dimensions: [["service"], ["service", "Role"]],
        Metrics: [{ Name: "Latency", Unit: "Milliseconds" }, { Name: "Errors" }],
      },
    );
    expect(
      data(emfToMetricData(line)).map((datum) => [
        datum.MetricName,
        datum.Dimensions?.map((d) => `${d.Name}=${d.Value}`).join(","),
      ]),
    ).toEqual([
      ["Latency", "service=checkout"],
      ["Latency", "service=checkout,Role=replica"],
      ["Errors", "service=checkout"],
      ["Errors", "service=checkout,Role=replica"],
    ]);
  });

  it("defaults the unit to None and the resolution to 60 seconds", () => {
    const [datum] = data(emfToMetricData(emf({ Latency: 1 }, { Metrics: [{ Name: "Latency" }] })));
    expect(datum).toMatchObject({ Unit: "None", StorageResolution: 60 });
  });

  it("publishes without dimensions when the directive has no dimension set", () => {
    const [datum] = data(emfToMetricData(emf({ Latency: 1 }, { Dimensions: [] })));
    expect(datum.Dimensions).toEqual([]);
  });

  it("publishes nothing for an empty list of values", () => {
    expect(data(emfToMetricData(emf({ Latency: [] })))).toEqual([]);
  });

  it("keeps each directive's namespace", () => {
    const line = emf({ Latency: 1, Count: 2 });
    (line._aws as { CloudWatchMetrics: unknown[] }).CloudWatchMetrics.push({
      Namespace: "Other",
      Dimensions: [[]],
      Metrics: [{ Name: "Count", Unit: "Count" }],
    });
    expect(emfToMetricData(line).map((request) => request.Namespace)).toEqual(["Shop", "Other"]);
  });

  it.each([
    ["plain text", "START RequestId: 1 Version: $LATEST"],
    ["a JSON log line", JSON.stringify({ level: "INFO", message: "hello" })],
    ["a JSON list", "[1,2,3]"],
    ["broken JSON", '{"_aws": {'],
    ["_aws without CloudWatchMetrics", JSON.stringify({ _aws: { Timestamp: TIMESTAMP } })],
  ])("answers no data for %s (not EMF, no reason)", (_, line) => {
    expect(parseEmf(line)).toEqual({ kind: "log" });
    expect(emfToMetricData(line)).toEqual([]);
  });

  it.each([
    ["no timestamp", withoutTimestamp(emf({ Latency: 1 })), /_aws.Timestamp is undefined/],
    ["a string timestamp", emf({ Latency: 1 }, {}, "now"), /_aws.Timestamp is "now"/],
    ["a metric without member", emf({}), /metric Latency has no member/],
    ["a string value", emf({ Latency: "12" }), /metric Latency is "12"/],
    ["a list with a string", emf({ Latency: [1, "2"] }), /metric Latency is \[1,"2"\]/],
    [
      "a missing dimension",
      emf({ Latency: 1, service: undefined }),
      /dimension service is undefined/,
    ],
    ["a numeric dimension", emf({ Latency: 1, service: 7 }), /dimension service is 7/],
    [
      "an unknown unit",
      emf({ Latency: 1 }, { Metrics: [{ Name: "Latency", Unit: "ms" }] }),
      /unit "ms"/,
    ],
    [
      "a bad resolution",
      emf({ Latency: 1 }, { Metrics: [{ Name: "Latency", StorageResolution: 5 }] }),
      /StorageResolution 5; expected 1 or 60/,
    ],
    ["an AWS namespace", emf({ Latency: 1 }, { Namespace: "AWS/Lambda" }), /reserved for AWS/],
    ["no namespace", emf({ Latency: 1 }, { Namespace: "" }), /Namespace is ""/],
    ["Metrics not a list", emf({ Latency: 1 }, { Metrics: {} }), /Metrics is not a list/],
    [
      "Dimensions not a list",
      emf({ Latency: 1 }, { Dimensions: "service" }),
      /Dimensions is not a list/,
    ],
    [
      "31 dimensions",
      emf({ Latency: 1 }, { Dimensions: [Array.from({ length: 31 }, () => "service")] }),
      /names 31 dimensions; at most 30/,
    ],
  ])("rejects EMF with %s, with a reason and no data", (_, line, reason) => {
    expect(reasonOf(JSON.stringify(line))).toMatch(reason);
    expect(emfToMetricData(JSON.stringify(line))).toEqual([]);
  });

  it("never throws, on any JSON or any string", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ _aws: v })),
        ),
        (line) => {
          const parsed = parseEmf(line);
          expect(["log", "metrics", "invalid"]).toContain(parsed.kind);
          expect(Array.isArray(emfToMetricData(line))).toBe(true);
        },
      ),
    );
  });

  it("keeps every value of every metric under every dimension set, at most 150 distinct values a datum", () => {
    const name = fc.constantFrom("A", "B", "C", "D");
    const dimension = fc.constantFrom("service", "Role", "Region");
    const document = fc.record({
      metrics: fc.uniqueArray(name, { minLength: 1, maxLength: 4 }),
      sets: fc.array(fc.uniqueArray(dimension, { maxLength: 3 }), { minLength: 1, maxLength: 3 }),
      values: fc.array(
        fc.oneof(
          fc.integer({ min: 0, max: 400 }),
          fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 500 }),
        ),
        { minLength: 4, maxLength: 4 },
      ),
    });
    fc.assert(
      fc.property(document, ({ metrics, sets, values }) => {
        const members: Record<string, unknown> = {
          service: "s",
          Role: "active",
          Region: "us-east-1",
        };
        metrics.forEach((metric, i) => (members[metric] = values[i]));
        const line = {
          _aws: {
            Timestamp: TIMESTAMP,
            CloudWatchMetrics: [
              { Namespace: "N", Dimensions: sets, Metrics: metrics.map((Name) => ({ Name })) },
            ],
          },
          ...members,
        };
        const all = data(emfToMetricData(JSON.stringify(line)));
        for (const datum of all) expect(datum.Values?.length ?? 1).toBeLessThanOrEqual(150);
        metrics.forEach((metric, i) => {
          const expected = [values[i]].flat();
          sets.forEach((set) => {
            const key = set.join(",");
            const of = all.filter(
              (datum) =>
                datum.MetricName === metric &&
                datum.Dimensions!.map((d) => d.Name).join(",") === key,
            );
            const samples = of.flatMap((datum) =>
              datum.Value !== undefined
                ? [datum.Value]
                : datum.Values!.flatMap((value, j) => Array(datum.Counts![j]).fill(value)),
            );
            // Per dimension set: as many data as the set, counted once each.
            const perSet = sets.filter((other) => other.join(",") === key).length;
            expect(samples.sort((a, b) => a - b)).toEqual(
              Array.from({ length: perSet }, () => expected)
                .flat()
                .sort((a, b) => a - b),
            );
          });
        });
      }),
    );
  });
});

describe("emfToMetricData on what the real consumer prints", () => {
  let lines: string[];

  beforeAll(async () => {
    const consumer = createConsumer(REPLICA_ENV, { clock: () => STARTED_AT });
    const recordedAt = STARTED_AT - 100;
    const records = [
      sqsRecord({ body: snsBody({ recorded_at: recordedAt }) }),
      sqsRecord({ body: snsBody({ recorded_at: recordedAt - 20 }) }),
      sqsRecord({ messageId: "bad", body: "{not json" }),
    ];
    const capture = captureStdout();
    try {
      await consumer.handler(sqsEvent(records));
      lines = capture.lines();
    } finally {
      capture.restore();
    }
  });

  it("extracts EndToEndLatency with the contract's namespace, dimensions, unit and resolution, one value per record", () => {
    const requests = lines.flatMap((line) => emfToMetricData(line));
    const endToEnd = data(requests.filter((r) => r.Namespace === METRIC_NAMESPACE)).filter(
      (datum) => datum.MetricName === "EndToEndLatency",
    );
    expect(endToEnd).toHaveLength(1);
    const dimensions = consumerDimensions("fanout-primary", "replica");
    expect(endToEnd[0]).toMatchObject({
      Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
      Unit: LATENCY_METRICS.EndToEndLatency.unit,
      StorageResolution: LATENCY_METRICS.EndToEndLatency.resolution,
      Values: [100, 120],
      Counts: [1, 1],
    });
    expect((endToEnd[0].Timestamp as Date).getTime()).toBeGreaterThan(0);
  });

  it("extracts FailedRecords with the Reason dimension, and every line is either a log or valid EMF", () => {
    const kinds = lines.map((line) => parseEmf(line).kind);
    expect(kinds).not.toContain("invalid");
    expect(kinds).toContain("log");
    const failed = data(lines.flatMap((line) => emfToMetricData(line))).find(
      (datum) => datum.MetricName === "FailedRecords",
    );
    expect(failed?.Dimensions).toEqual([
      { Name: "service", Value: "fanout-primary" },
      { Name: "Role", Value: "replica" },
      { Name: "Reason", Value: "InvalidJson" },
    ]);
    expect(failed?.Value).toBe(1);
  });
});
