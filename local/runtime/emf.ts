/**
 * CloudWatch Logs' Embedded Metric Format extraction, as pure functions: a log line in, the
 * PutMetricData requests CloudWatch Logs would make for it out.
 *
 * Follows the specification
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 * `_aws.Timestamp` (epoch ms) and `_aws.CloudWatchMetrics`, a list of directives, each with a
 * `Namespace`, `Dimensions` (a list of dimension sets, each a list of root member names whose
 * values are strings) and `Metrics` (`Name`, optional `Unit` and `StorageResolution`), the
 * metric's value being the root member of that name: a number or a list of numbers. Every
 * metric of a directive is published once per dimension set.
 */
import {
  StandardUnit,
  type MetricDatum,
  type PutMetricDataCommandInput,
} from "@aws-sdk/client-cloudwatch";

/** Most distinct values one datum carries (PutMetricData's `Values` limit). */
export const MAX_VALUES_PER_DATUM = 150;

/** Most data one PutMetricData request carries. */
export const MAX_DATA_PER_REQUEST = 1000;

/** Most dimensions one dimension set may name (EMF and PutMetricData). */
export const MAX_DIMENSIONS = 30;

/** Most metrics one directive may define (EMF). */
export const MAX_METRICS_PER_DIRECTIVE = 100;

/** What one line is, for CloudWatch Logs. */
export type EmfParse =
  /** Not an EMF document (not a JSON object, or no `_aws.CloudWatchMetrics`): only a log line. */
  | { readonly kind: "log" }
  /** A valid EMF document and the requests it turns into (none when it holds no value). */
  | { readonly kind: "metrics"; readonly requests: PutMetricDataCommandInput[] }
  /** An EMF document that breaks the specification: no metric is extracted. */
  | { readonly kind: "invalid"; readonly reason: string };

const UNITS: ReadonlySet<string> = new Set(Object.values(StandardUnit));

class Invalid extends Error {}

function fail(reason: string): never {
  throw new Invalid(reason);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function parseRoot(line: string | object): Record<string, unknown> | undefined {
  if (typeof line !== "string") return isObject(line) ? line : undefined;
  const text = line.trim();
  if (!text.startsWith("{")) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Distinct values and how often each occurs, in first-seen order. */
function tally(values: readonly number[]): { values: number[]; counts: number[] } {
  const counts = new Map<number, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return { values: [...counts.keys()], counts: [...counts.values()] };
}

/** The data of one metric under one dimension set: one datum per 150 distinct values. */
function metricData(
  base: Omit<MetricDatum, "Value" | "Values" | "Counts">,
  value: number | readonly number[],
): MetricDatum[] {
  if (typeof value === "number") return [{ ...base, Value: value }];
  const { values, counts } = tally(value);
  const data: MetricDatum[] = [];
  for (let start = 0; start < values.length; start += MAX_VALUES_PER_DATUM) {
    data.push({
      ...base,
      Values: values.slice(start, start + MAX_VALUES_PER_DATUM),
      Counts: counts.slice(start, start + MAX_VALUES_PER_DATUM),
    });
  }
  return data;
}

function metricValue(root: Record<string, unknown>, name: string): number | readonly number[] {
  const value = root[name];
  if (value === undefined) fail(`metric ${name} has no member on the root node`);
  if (isNumber(value)) return value;
  if (Array.isArray(value) && value.every(isNumber)) return value;
  return fail(`metric ${name} is ${JSON.stringify(value)}; expected a number or a list of numbers`);
}

function dimensionSets(
  root: Record<string, unknown>,
  raw: unknown,
  where: string,
): { Name: string; Value: string }[][] {
  if (!Array.isArray(raw)) fail(`${where}.Dimensions is not a list of dimension sets`);
  // No dimension set at all: the metrics are published without dimensions.
  if (raw.length === 0) return [[]];
  return raw.map((set, i) => {
    if (!Array.isArray(set) || !set.every((key) => typeof key === "string")) {
      fail(`${where}.Dimensions[${i}] is not a list of member names`);
    }
    if (set.length > MAX_DIMENSIONS) {
      fail(`${where}.Dimensions[${i}] names ${set.length} dimensions; at most ${MAX_DIMENSIONS}`);
    }
    return (set as string[]).map((key) => {
      const value = root[key];
      if (typeof value !== "string" || value === "") {
        fail(`dimension ${key} is ${JSON.stringify(value)}; expected a non-empty string member`);
      }
      return { Name: key, Value: value };
    });
  });
}

function directiveRequests(
  root: Record<string, unknown>,
  directive: unknown,
  index: number,
  timestamp: Date,
): PutMetricDataCommandInput[] {
  const where = `CloudWatchMetrics[${index}]`;
  if (!isObject(directive)) fail(`${where} is not an object`);
  const namespace = directive.Namespace;
  if (typeof namespace !== "string" || namespace === "" || namespace.length > 1024) {
    fail(`${where}.Namespace is ${JSON.stringify(namespace)}; expected 1-1024 characters`);
  }
  if (namespace.startsWith("AWS/")) fail(`${where}.Namespace ${namespace} is reserved for AWS`);
  const sets = dimensionSets(root, directive.Dimensions, where);
  const metrics = directive.Metrics;
  if (!Array.isArray(metrics)) fail(`${where}.Metrics is not a list`);
  if (metrics.length > MAX_METRICS_PER_DIRECTIVE) {
    fail(`${where} defines ${metrics.length} metrics; at most ${MAX_METRICS_PER_DIRECTIVE}`);
  }

  const data: MetricDatum[] = [];
  metrics.forEach((metric: unknown, i) => {
    if (!isObject(metric)) fail(`${where}.Metrics[${i}] is not an object`);
    const { Name: name, Unit: unit, StorageResolution: resolution } = metric;
    if (typeof name !== "string" || name === "" || name.length > 255) {
      fail(`${where}.Metrics[${i}].Name is ${JSON.stringify(name)}; expected 1-255 characters`);
    }
    if (unit !== undefined && (typeof unit !== "string" || !UNITS.has(unit))) {
      fail(`metric ${name} has unit ${JSON.stringify(unit)}; expected a CloudWatch unit`);
    }
    if (resolution !== undefined && resolution !== 1 && resolution !== 60) {
      fail(`metric ${name} has StorageResolution ${JSON.stringify(resolution)}; expected 1 or 60`);
    }
    const value = metricValue(root, name);
    for (const dimensions of sets) {
      data.push(
        ...metricData(
          {
            MetricName: name,
            Dimensions: dimensions,
            Timestamp: timestamp,
            Unit: (unit ?? StandardUnit.None) as StandardUnit,
            StorageResolution: resolution ?? 60,
          },
          value,
        ),
      );
    }
  });

  const requests: PutMetricDataCommandInput[] = [];
  for (let start = 0; start < data.length; start += MAX_DATA_PER_REQUEST) {
    requests.push({
      Namespace: namespace,
      MetricData: data.slice(start, start + MAX_DATA_PER_REQUEST),
    });
  }
  return requests;
}

/**
 * Classifies one log line (or an already parsed object) and, for valid EMF, builds the
 * PutMetricData requests: one datum per metric and dimension set, a list value tallied into
 * `Values`/`Counts` (at most {@link MAX_VALUES_PER_DATUM} a datum), the unit (`None` when
 * absent), the storage resolution (60 when absent) and `_aws.Timestamp`. Never throws.
 */
export function parseEmf(line: string | object): EmfParse {
  const root = parseRoot(line);
  if (root === undefined || !isObject(root._aws) || !("CloudWatchMetrics" in root._aws)) {
    return { kind: "log" };
  }
  const metadata = root._aws;
  try {
    const timestamp = metadata.Timestamp;
    if (!isNumber(timestamp) || timestamp < 0) {
      fail(`_aws.Timestamp is ${JSON.stringify(timestamp)}; expected epoch milliseconds`);
    }
    const directives = metadata.CloudWatchMetrics;
    if (!Array.isArray(directives)) fail("_aws.CloudWatchMetrics is not a list of directives");
    const at = new Date(timestamp);
    return {
      kind: "metrics",
      requests: directives.flatMap((directive, i) => directiveRequests(root, directive, i, at)),
    };
  } catch (error) {
    if (error instanceof Invalid) return { kind: "invalid", reason: error.message };
    return { kind: "invalid", reason: `unexpected: ${(error as Error).message}` };
  }
}

/**
 * The PutMetricData requests for one log line: empty for a line that is not EMF and for
 * invalid EMF (use {@link parseEmf} for the reason). Never throws.
 */
export function emfToMetricData(line: string | object): PutMetricDataCommandInput[] {
  const parsed = parseEmf(line);
  return parsed.kind === "metrics" ? parsed.requests : [];
}
