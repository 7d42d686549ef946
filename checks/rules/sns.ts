/**
 * SNS rules: every topic encrypted and TLS-only, every subscription made in its topic's region.
 */
import { StackIndex } from "../../inspect/stack-index";
import { sourceStatements } from "../../inspect/statements";
import { hasWildcard, isTlsOnlyDeny } from "./policy";
import { Found, found } from "./rule";

export function snsEncryption(stack: StackIndex): Found[] {
  return stack
    .resources("aws_sns_topic")
    .filter((t) => typeof t.body.kms_master_key_id !== "string" || t.body.kms_master_key_id === "")
    .map((t) => found(t, "has no kms_master_key_id"));
}

export function snsTlsOnly(stack: StackIndex): Found[] {
  return stack.resources("aws_sns_topic").flatMap((t) => {
    const policies = stack.policiesOf(t);
    if (policies.length === 0) return [found(t, "has no topic policy, so no TLS-only deny")];
    const tls = policies.some(({ source }) =>
      sourceStatements(source).some((s) => isTlsOnlyDeny(s, "sns", "sns:Publish")),
    );
    return tls
      ? []
      : [
          found(
            policies[0].at,
            `policy of ${t.address} has no Deny of sns:Publish for aws:SecureTransport = false`,
          ),
        ];
  });
}

export function snsSubscriptionProvider(stack: StackIndex): Found[] {
  return stack.resources("aws_sns_topic_subscription").flatMap((sub) => {
    const topic = stack.target(sub.body.topic_arn, ["arn", "id"]);
    if (topic?.type === "aws_sns_topic") {
      return stack.providerKey(topic) === stack.providerKey(sub)
        ? []
        : [
            found(
              sub,
              `is created with provider ${stack.providerKey(sub)} but its topic ${topic.address} with ${stack.providerKey(topic)}`,
            ),
          ];
    }
    const arn = /^arn:[^:]+:sns:([^:]+):/.exec(String(sub.body.topic_arn));
    if (arn && !hasWildcard(arn[1])) {
      return arn[1] === stack.regionOf(sub)
        ? []
        : [found(sub, `is created in ${stack.regionOf(sub)} but its topic is in ${arn[1]}`)];
    }
    return [
      found(sub, `topic_arn ${String(sub.body.topic_arn)} names no topic whose region is known`),
    ];
  });
}
