/**
 * DynamoDB rules: every table encrypted with KMS and recoverable to a point in time, in every
 * region it is replicated to.
 */
import { StackIndex } from "../../inspect/stack-index";
import { asList } from "../../inspect/terraform-json";
import { Found, found } from "./rule";

type Body = Record<string, unknown>;

/** The first (only) instance of a nested block, or an empty one. */
const block = (value: unknown): Body => asList<Body>(value)[0] ?? {};

export function dynamodbEncryptionAndRecovery(stack: StackIndex): Found[] {
  return stack.resources("aws_dynamodb_table").flatMap((t) => {
    const out: Found[] = [];
    if (block(t.body.server_side_encryption).enabled !== true) {
      out.push(found(t, "has no server_side_encryption with enabled = true (a KMS key)"));
    }
    if (block(t.body.point_in_time_recovery).enabled !== true) {
      out.push(found(t, "has no point_in_time_recovery with enabled = true"));
    }
    for (const replica of asList<Body>(t.body.replica)) {
      if (replica.point_in_time_recovery !== true) {
        out.push(
          found(
            t,
            `replica in ${String(replica.region_name)} has no point_in_time_recovery = true`,
          ),
        );
      }
    }
    return out;
  });
}
