/**
 * SQS rules: every queue encrypted, with a dead-letter queue unless it is one, TLS-only, open
 * to exactly the topics that feed it, and a dead-letter queue only to its named source queues.
 */
import { StackIndex } from "../../inspect/stack-index";
import { sourceStatements } from "../../inspect/statements";
import { Block, soleReference } from "../../inspect/terraform-json";
import { hasWildcard, isTlsOnlyDeny } from "./policy";
import { Found, found } from "./rule";

/** The AWS-managed SQS key: SNS cannot be granted use of it, so deliveries would be dropped. */
const AWS_MANAGED_SQS_KEY = /^(alias\/)?aws\/sqs$|:alias\/aws\/sqs$/;

/** Key of a topic as a policy or subscription names it: its address, or the literal ARN. */
function topicKey(stack: StackIndex, value: unknown): string {
  const topic = stack.target(value, ["arn", "id"]);
  if (topic?.type === "aws_sns_topic") return topic.address;
  return soleReference(value)?.address ?? String(value);
}

/**
 * The topics that may send to each queue: the topic of every subscription whose endpoint is
 * the queue, and of every subscription whose redrive policy dead-letters into it.
 */
function feedingTopics(stack: StackIndex): Map<string, Set<string>> {
  const feeds = new Map<string, Set<string>>();
  const add = (queue: Block | undefined, topic: string) => {
    if (queue?.type !== "aws_sqs_queue") return;
    feeds.set(queue.address, (feeds.get(queue.address) ?? new Set()).add(topic));
  };
  for (const sub of stack.resources("aws_sns_topic_subscription")) {
    const topic = topicKey(stack, sub.body.topic_arn);
    if (sub.body.protocol === "sqs") add(stack.target(sub.body.endpoint, ["arn"]), topic);
    add(stack.redrive(sub.body.redrive_policy).target, topic);
  }
  return feeds;
}

export function sqsEncryption(stack: StackIndex): Found[] {
  return stack.resources("aws_sqs_queue").flatMap((q) => {
    const kms = q.body.kms_master_key_id;
    if (typeof kms === "string" && kms !== "") {
      return AWS_MANAGED_SQS_KEY.test(kms)
        ? [
            found(
              q,
              `uses the AWS-managed key ${kms}, which SNS cannot be granted; deliveries would be lost`,
            ),
          ]
        : [];
    }
    return q.body.sqs_managed_sse_enabled === true
      ? []
      : [found(q, "has neither sqs_managed_sse_enabled = true nor a KMS key")];
  });
}

export function sqsDeadLetterQueue(stack: StackIndex): Found[] {
  const dlqs = stack.deadLetterQueues();
  return stack
    .resources("aws_sqs_queue")
    .filter((q) => !dlqs.has(q.address))
    .flatMap((q) => {
      const target = stack.redrive(q.body.redrive_policy).target;
      if (target?.type !== "aws_sqs_queue") {
        return [
          found(q, "has no redrive_policy whose deadLetterTargetArn is a queue of this stack"),
        ];
      }
      return target.address === q.address ? [found(q, "redrives to itself")] : [];
    });
}

export function sqsTlsOnly(stack: StackIndex): Found[] {
  return stack.resources("aws_sqs_queue").flatMap((q) => {
    const policies = stack.policiesOf(q);
    if (policies.length !== 1) {
      return [
        found(q, `has ${policies.length} queue policies; expected exactly one (SQS keeps one)`),
      ];
    }
    const [{ at, source }] = policies;
    if (source.kind === "opaque") return [found(at, "policy cannot be read; TLS-only unknown")];
    return sourceStatements(source).some((s) => isTlsOnlyDeny(s, "sqs", "sqs:*"))
      ? []
      : [found(at, `policy of ${q.address} has no Deny of sqs:* for aws:SecureTransport = false`)];
  });
}

export function sqsPolicyFeedingTopic(stack: StackIndex): Found[] {
  const feeds = feedingTopics(stack);
  const out: Found[] = [];
  for (const q of stack.resources("aws_sqs_queue")) {
    const want = feeds.get(q.address) ?? new Set<string>();
    const policies = stack.policiesOf(q);
    if (policies.length === 0 && want.size > 0) {
      out.push(found(q, `is fed by ${[...want].join(", ")} but has no policy letting it send`));
    }
    for (const { at, source } of policies) {
      const allowed = new Set<string>();
      for (const s of sourceStatements(source).filter((x) => x.effect === "Allow")) {
        const sourceArns = s.conditions.filter(
          (c) =>
            c.variable === "aws:SourceArn" && /^(ArnEquals|ArnLike|StringEquals)$/.test(c.test),
        );
        const shapeOk =
          s.principals.length === 1 &&
          s.principals[0].type === "Service" &&
          s.principals[0].identifiers.join() === "sns.amazonaws.com" &&
          s.actions.join() === "sqs:SendMessage" &&
          s.resources.length === 1 &&
          stack.target(s.resources[0], ["arn"])?.address === q.address &&
          sourceArns.length === 1 &&
          sourceArns[0].values.length > 0;
        if (!shapeOk) {
          out.push(
            found(
              at,
              `${s.sid ?? "an Allow statement"} grants more than sqs:SendMessage to sns.amazonaws.com on ${q.address} by aws:SourceArn`,
            ),
          );
          continue;
        }
        for (const v of sourceArns[0].values) allowed.add(topicKey(stack, v));
      }
      const extra = [...allowed].filter((t) => !want.has(t));
      const missing = [...want].filter((t) => !allowed.has(t));
      if (extra.length > 0) {
        out.push(
          found(
            at,
            want.size === 0
              ? `${q.address} is fed by no topic, yet its policy lets ${extra.join(", ")} send`
              : `lets ${extra.join(", ")} send to ${q.address}, which only ${[...want].join(", ")} feeds`,
          ),
        );
      }
      if (missing.length > 0) {
        out.push(found(at, `does not let ${missing.join(", ")}, which feeds ${q.address}, send`));
      }
    }
  }
  return out;
}

/** What a redrive allow policy (`{"redrivePermission": ..., "sourceQueueArns": [...]}`) admits. */
function redriveAllowProblem(value: unknown): string | undefined {
  let parsed: { redrivePermission?: unknown; sourceQueueArns?: unknown };
  try {
    parsed = JSON.parse(String(value)) as typeof parsed;
  } catch {
    return `is not JSON, so who may dead-letter into the queue cannot be checked`;
  }
  const permission = parsed.redrivePermission;
  if (permission === "denyAll") return undefined;
  if (permission !== "byQueue") {
    return `has redrivePermission ${JSON.stringify(permission)}; allowed: "byQueue" with the queue's own source queues, or "denyAll" ("allowAll" lets every queue of the account use it)`;
  }
  const sources = Array.isArray(parsed.sourceQueueArns) ? parsed.sourceQueueArns.map(String) : [];
  if (sources.length === 0) return "is byQueue but names no sourceQueueArns";
  const loose = sources.filter((arn) => hasWildcard(arn) || arn === "");
  return loose.length > 0 ? `names source queues by wildcard: ${loose.join(", ")}` : undefined;
}

export function sqsRedriveAllowByQueue(stack: StackIndex): Found[] {
  return [
    ...stack.resources("aws_sqs_queue_redrive_allow_policy"),
    ...stack.resources("aws_sqs_queue").filter((q) => q.body.redrive_allow_policy !== undefined),
  ].flatMap((b) => {
    const problem = redriveAllowProblem(b.body.redrive_allow_policy);
    return problem === undefined ? [] : [found(b, `redrive_allow_policy ${problem}`)];
  });
}
