/**
 * Physical names of every resource of a fan-out unit, and their AWS limits.
 *
 * Names are deterministic: `<prefix>-<stack>-<role>[-<region>]`. Constructs take their names
 * from here, and the config loader checks every one of them against its limit before any
 * construct is built, so a long prefix fails synth with one line instead of failing apply.
 */

/**
 * Role of a queue in a fan-out unit. `active`: the queue in the topic's home region;
 * `replica`: a copy in another region. (Lambda code imports this type only: bundles hold
 * nothing from outside `lambdas/`.)
 */
export type QueueRole = "active" | "replica";

/**
 * Id of a queue within its unit: `active`, or `replica-<region>`. It is the construct scope of
 * the queue and everything built around it, and the middle of the names of the queue's alarms.
 * Changing it replaces the resources.
 */
export function queueId(role: QueueRole, region: string): string {
  return role === "active" ? "active" : `replica-${region}`;
}

/** AWS limits on the physical names this project creates. */
export const NAME_LIMITS = {
  "SNS topic": 256,
  "SQS queue": 80,
  "Lambda function": 64,
  "IAM role": 64,
  "CloudWatch log group": 512,
  "CloudWatch dashboard": 255,
  "API Gateway REST API": 1024,
} as const;

export type NameKind = keyof typeof NAME_LIMITS;

/** Characters allowed in every physical name (log group names add `/`). */
export const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

/** Ending AWS requires of the name of a FIFO topic or queue; it counts towards the name's limit. */
export const FIFO_SUFFIX = ".fifo";

/** The kinds of name that end in {@link FIFO_SUFFIX} on a FIFO unit. */
const FIFO_KINDS: readonly NameKind[] = ["SNS topic", "SQS queue"];

/** Ending of a unit's topic name: the topic of unit `fanout-primary` is `fanout-primary-topic`. */
export const TOPIC_NAME_SUFFIX = "-topic";

/** The names of one queue and everything that hangs off it. */
export interface QueueNames {
  readonly role: QueueRole;
  /** {@link queueId}: `active` or `replica-<region>`. */
  readonly id: string;
  /** Region the queue lives in. */
  readonly region: string;
  readonly queue: string;
  /** Dead-letter queue of the queue (messages consumers failed to process). */
  readonly deadLetterQueue: string;
  /** Dead-letter queue of the SNS subscription (messages SNS failed to deliver), home region. */
  readonly deliveryDeadLetterQueue: string;
  /** Consumer function; its role carries the same name (IAM and Lambda are separate namespaces). */
  readonly consumerFunction: string;
  readonly consumerLogGroup: string;
}

/** The names of one fan-out unit (one stack). */
export interface UnitNames {
  /** `<prefix>-<stack>`: also the `service` of every metric the unit emits. */
  readonly unit: string;
  readonly topic: string;
  readonly queues: readonly QueueNames[];
  readonly api: string;
  readonly apiFunction: string;
  readonly apiLogGroup: string;
  readonly dashboard: string;
  /** Alarm topic of each region of the unit: an alarm notifies topics of its own region only. */
  readonly alarmTopics: Readonly<Record<string, string>>;
}

/**
 * Names of the unit of `stack` whose home is `homeRegion`, with one replica per other region.
 * `regions` lists every configured region; the home region's queue is the active one. With
 * `fifo`, the topic and every queue (dead-letter queues included) end in {@link FIFO_SUFFIX};
 * the other names stay as they are.
 */
export function unitNames(
  prefix: string,
  stack: string,
  homeRegion: string,
  regions: readonly string[],
  fifo = false,
): UnitNames {
  const unit = `${prefix}-${stack}`;
  const end = fifo ? FIFO_SUFFIX : "";
  const queueNames = (role: QueueRole, region: string): QueueNames => {
    const id = queueId(role, region);
    const queue = `${unit}-${id}`;
    const consumerFunction = `${queue}-consumer`;
    return {
      role,
      id,
      region,
      queue: `${queue}${end}`,
      deadLetterQueue: `${queue}-dlq${end}`,
      deliveryDeadLetterQueue: `${queue}-delivery-dlq${end}`,
      consumerFunction,
      consumerLogGroup: `/aws/lambda/${consumerFunction}`,
    };
  };
  const apiFunction = `${unit}-api`;
  return {
    unit,
    topic: `${unit}${TOPIC_NAME_SUFFIX}${end}`,
    queues: [
      queueNames("active", homeRegion),
      ...regions.filter((r) => r !== homeRegion).map((r) => queueNames("replica", r)),
    ],
    api: `${unit}-api`,
    apiFunction,
    apiLogGroup: `/aws/lambda/${apiFunction}`,
    dashboard: `${unit}-latency`,
    alarmTopics: Object.fromEntries(regions.map((r) => [r, `${unit}-alarms-${r}`])),
  };
}

/** Every physical name of a unit with its kind, for validation. */
export function allNames(names: UnitNames): { kind: NameKind; name: string }[] {
  const list: { kind: NameKind; name: string }[] = [
    { kind: "SNS topic", name: names.topic },
    ...Object.values(names.alarmTopics).map((name) => ({ kind: "SNS topic" as const, name })),
    { kind: "API Gateway REST API", name: names.api },
    { kind: "Lambda function", name: names.apiFunction },
    { kind: "IAM role", name: names.apiFunction },
    { kind: "CloudWatch dashboard", name: names.dashboard },
  ];
  for (const q of names.queues) {
    list.push(
      { kind: "SQS queue", name: q.queue },
      { kind: "SQS queue", name: q.deadLetterQueue },
      { kind: "SQS queue", name: q.deliveryDeadLetterQueue },
      { kind: "Lambda function", name: q.consumerFunction },
      { kind: "IAM role", name: q.consumerFunction },
    );
  }
  return list;
}

/** A topic or queue name without its {@link FIFO_SUFFIX}, if it has one. */
export function withoutFifoSuffix(name: string): string {
  return name.endsWith(FIFO_SUFFIX) ? name.slice(0, -FIFO_SUFFIX.length) : name;
}

/**
 * Returns the first problem with a name (`undefined` when it is fine). Topic and queue names
 * may end in {@link FIFO_SUFFIX}, which counts towards their limit.
 */
export function nameProblem(kind: NameKind, name: string): string | undefined {
  const base = FIFO_KINDS.includes(kind) ? withoutFifoSuffix(name) : name;
  if (!NAME_PATTERN.test(base)) {
    return `${kind} name "${name}" has characters outside [A-Za-z0-9_-]`;
  }
  if (name.length > NAME_LIMITS[kind]) {
    return `${kind} name "${name}" is ${name.length} characters; allowed: at most ${NAME_LIMITS[kind]}`;
  }
  return undefined;
}
