/**
 * The policy rules: the real stacks pass, and every rule fires, alone, on a stack broken on
 * purpose (a deep copy of the real synthesized JSON with one thing changed). The IAM rule's
 * tests are in iam-rule.test.ts, those of the rules on who may act in access-rules.test.ts.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RULES, WILDCARD_EXCEPTIONS } from "../../checks/rules";
import { runChecks } from "../../checks/run";
import { StackJson } from "../../inspect/terraform-json";
import { PROJECT_ROOT } from "../../inspect/synth";
import {
  broken as brokenStacks,
  EditableJson,
  expectOnly,
  pick,
  rulesOf,
  statements,
  topicOwner,
} from "../support/broken-stack";
import { defaultConfig, stackJsons } from "../support/synth";

let defaults: StackJson[];
let threeRegions: StackJson[];

beforeAll(() => {
  defaults = stackJsons(defaultConfig());
  threeRegions = stackJsons(
    defaultConfig({ FANOUT_STACKS: "primary=us-east-1,secondary=us-west-2,tertiary=eu-west-1" }),
  );
});

/** The default stacks with `primary` changed by `change` (on a deep copy). */
const broken = (change: (json: EditableJson) => void) => brokenStacks(defaults, change);

describe("the real stacks", () => {
  it("of the default configuration break no rule", () => {
    expect(runChecks(defaults)).toEqual([]);
  });

  it("of three regions break no rule", () => {
    expect(threeRegions.map((s) => s.name)).toEqual(["primary", "secondary", "tertiary"]);
    expect(runChecks(threeRegions)).toEqual([]);
  });

  it("have unique rule ids and a description for each rule", () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const r of RULES) expect(r.description.length).toBeGreaterThan(20);
    for (const e of WILDCARD_EXCEPTIONS) expect(e.reason.length).toBeGreaterThan(20);
  });
});

describe("sqs-encryption", () => {
  it("flags a queue without SSE", () => {
    const v = broken(({ resource }) => {
      delete pick(resource, "aws_sqs_queue", "active_queue_0")[1].sqs_managed_sse_enabled;
    });
    expectOnly(v, "sqs-encryption", /^aws_sqs_queue\.active_queue_0/);
  });

  it("flags a queue on the AWS-managed alias/aws/sqs key", () => {
    const v = broken(({ resource }) => {
      const [, q] = pick(resource, "aws_sqs_queue", "replica-us-west-2_queue_8");
      delete q.sqs_managed_sse_enabled;
      q.kms_master_key_id = "alias/aws/sqs";
    });
    expectOnly(v, "sqs-encryption", /replica-us-west-2_queue_8/, /AWS-managed key alias\/aws\/sqs/);
  });

  it("accepts a customer managed KMS key", () => {
    const v = broken(({ resource }) => {
      const [, q] = pick(resource, "aws_sqs_queue", "replica-us-west-2_queue_8");
      delete q.sqs_managed_sse_enabled;
      q.kms_master_key_id = "alias/fanout-queues";
    });
    expect(v).toEqual([]);
  });
});

describe("sqs-dead-letter-queue", () => {
  it("flags a queue without a redrive policy", () => {
    const v = broken(({ resource }) => {
      delete pick(resource, "aws_sqs_queue", "active_queue_0")[1].redrive_policy;
    });
    // Its former DLQ is now nobody's DLQ either, and has no DLQ of its own.
    expectOnly(v, "sqs-dead-letter-queue", /^aws_sqs_queue\.active_queue_0/);
    expect(v.map((x) => x.address).sort()).toEqual(
      [
        expect.stringMatching(/active_queue_0/),
        expect.stringMatching(/active_queue_dead-letter-queue/),
      ].sort(),
    );
  });

  it("flags a queue that redrives to itself", () => {
    const v = broken(({ resource }) => {
      const [id, q] = pick(resource, "aws_sqs_queue", "active_queue_0");
      q.redrive_policy = JSON.stringify({
        deadLetterTargetArn: `\${aws_sqs_queue.${id}.arn}`,
        maxReceiveCount: 5,
      });
    });
    expect(rulesOf(v)).toEqual(["sqs-dead-letter-queue"]);
    expect(v.map((x) => x.why)).toContain("redrives to itself");
  });
});

describe("sqs-tls-only", () => {
  it("flags a queue policy that lost its TLS-only deny", () => {
    const v = broken(({ data }) => {
      const [, doc] = pick(data, "aws_iam_policy_document", "active_queue_dead-letter-policy");
      doc.statement = statements(doc).filter((s) => s.effect !== "Deny");
    });
    expectOnly(v, "sqs-tls-only", /^aws_sqs_queue_policy\.active_queue_dead-letter-policy/);
  });

  it("flags a TLS deny whose condition was weakened", () => {
    const v = broken(({ data }) => {
      const [, doc] = pick(data, "aws_iam_policy_document", "active_subscription_queue-policy");
      const deny = statements(doc).find((s) => s.effect === "Deny")!;
      deny.condition = [{ test: "Bool", variable: "aws:SecureTransport", values: ["true"] }];
    });
    expectOnly(v, "sqs-tls-only", /^aws_sqs_queue_policy\.active_subscription_queue-policy/);
  });

  it("flags a queue with two policies", () => {
    const v = broken(({ resource }) => {
      const [id, p] = pick(resource, "aws_sqs_queue_policy", "active_subscription_queue-policy");
      resource.aws_sqs_queue_policy[`${id}-copy`] = structuredClone(p);
    });
    expectOnly(v, "sqs-tls-only", /^aws_sqs_queue\.active_queue_0/, /has 2 queue policies/);
  });
});

describe("sqs-policy-feeding-topic", () => {
  it("flags a queue policy that lets another topic send", () => {
    const v = broken(({ data }) => {
      const [, doc] = pick(
        data,
        "aws_iam_policy_document",
        "replica-us-west-2_subscription_queue-policy",
      );
      const allow = statements(doc).find((s) => s.effect === "Allow")!;
      allow.condition = [
        {
          test: "ArnEquals",
          variable: "aws:SourceArn",
          values: ["${aws_sns_topic.someone_else.arn}"],
        },
      ];
    });
    expectOnly(
      v,
      "sqs-policy-feeding-topic",
      /^aws_sqs_queue_policy\.replica-us-west-2_subscription_queue-policy/,
      /lets aws_sns_topic\.someone_else send/,
    );
    expect(v.map((x) => x.why).join("\n")).toMatch(
      /does not let aws_sns_topic\.topic_\w+, which feeds/,
    );
  });

  it("flags a dead-letter queue policy that grants something", () => {
    const v = broken(({ data }) => {
      const [, dlq] = pick(data, "aws_iam_policy_document", "active_queue_dead-letter-policy");
      const [, fed] = pick(data, "aws_iam_policy_document", "active_subscription_queue-policy");
      const allow = structuredClone(statements(fed).find((s) => s.effect === "Allow")!);
      allow.resources = [(statements(dlq)[0].resources as string[])[0]];
      dlq.statement = [allow, ...statements(dlq)];
    });
    expectOnly(
      v,
      "sqs-policy-feeding-topic",
      /^aws_sqs_queue_policy\.active_queue_dead-letter-policy/,
      /is fed by no topic, yet its policy lets aws_sns_topic\.topic_\w+ send/,
    );
  });

  it("flags an allow without the aws:SourceArn condition", () => {
    const v = broken(({ resource, data }) => {
      const [, doc] = pick(data, "aws_iam_policy_document", "active_subscription_queue-policy");
      // Still narrowed to this account (so resource-policy-principals holds), but to no topic.
      statements(doc).find((s) => s.effect === "Allow")!.condition = [
        { test: "StringEquals", variable: "aws:SourceAccount", values: [topicOwner(resource)] },
      ];
    });
    expectOnly(
      v,
      "sqs-policy-feeding-topic",
      /active_subscription_queue-policy/,
      /grants more than/,
    );
  });
});

describe("sns-encryption", () => {
  it("flags a topic without a KMS key", () => {
    const v = broken(({ resource }) => {
      const [, topic] = Object.entries(resource.aws_sns_topic).find(([id]) => /^topic_/.test(id))!;
      delete topic.kms_master_key_id;
    });
    expectOnly(v, "sns-encryption", /^aws_sns_topic\.topic_/);
  });
});

describe("sns-tls-only", () => {
  it("flags a topic whose policy lost its TLS-only deny", () => {
    const v = broken(({ data }) => {
      pick(data, "aws_iam_policy_document", "topic_policy-document")[1].statement = [];
    });
    expectOnly(v, "sns-tls-only", /^aws_sns_topic_policy\.topic_policy/);
  });

  it("flags a topic without a topic policy", () => {
    const v = broken(({ resource, data }) => {
      delete resource.aws_sns_topic_policy;
      delete data.aws_iam_policy_document[
        pick(data, "aws_iam_policy_document", "topic_policy-document")[0]
      ];
    });
    expectOnly(v, "sns-tls-only", /^aws_sns_topic\.topic_/, /has no topic policy/);
  });
});

describe("sns-subscription-provider", () => {
  it("flags a cross-region subscription created with the queue's provider", () => {
    const v = broken(({ resource }) => {
      pick(resource, "aws_sns_topic_subscription", "replica-us-west-2")[1].provider =
        "aws.us-west-2";
    });
    expectOnly(
      v,
      "sns-subscription-provider",
      /^aws_sns_topic_subscription\.replica-us-west-2_subscription/,
      /provider aws\.us-west-2 but its topic .* with aws\.us-east-1/,
    );
  });

  it("flags a subscription to a literal topic ARN of another region", () => {
    const v = broken(({ resource }) => {
      pick(resource, "aws_sns_topic_subscription", "active")[1].topic_arn =
        "arn:aws:sns:eu-west-1:123456789012:elsewhere";
    });
    expect(rulesOf(v)).toContain("sns-subscription-provider");
    expect(v.find((x) => x.rule === "sns-subscription-provider")!.why).toBe(
      "is created in us-east-1 but its topic is in eu-west-1",
    );
  });
});

describe("lambda-runtime", () => {
  it("flags an x86_64 function", () => {
    const v = broken(({ resource }) => {
      pick(resource, "aws_lambda_function", "active_consumer")[1].architectures = ["x86_64"];
    });
    expectOnly(v, "lambda-runtime", /^aws_lambda_function\.active_consumer/, /expected \[arm64\]/);
  });

  it("flags a deprecated runtime", () => {
    const v = broken(({ resource }) => {
      pick(resource, "aws_lambda_function", "producer-api")[1].runtime = "nodejs20.x";
    });
    expectOnly(v, "lambda-runtime", /^aws_lambda_function\.producer-api/, /nodejs20\.x/);
  });
});

describe("lambda-log-group", () => {
  it("flags a log group without retention", () => {
    const v = broken(({ resource }) => {
      delete pick(resource, "aws_cloudwatch_log_group", "replica")[1].retention_in_days;
    });
    expectOnly(v, "lambda-log-group", /^aws_cloudwatch_log_group\.replica/, /kept forever/);
  });

  it("flags a function whose log group is named otherwise", () => {
    const v = broken(({ resource }) => {
      pick(resource, "aws_cloudwatch_log_group", "producer-api_function")[1].name =
        "/aws/lambda/other";
    });
    expectOnly(v, "lambda-log-group", /^aws_lambda_function\.producer-api/, /has 0 log groups/);
  });

  it("flags a log group in another region than its function", () => {
    const v = broken(({ resource }) => {
      pick(resource, "aws_cloudwatch_log_group", "replica")[1].provider = "aws.us-east-1";
    });
    expectOnly(v, "lambda-log-group", /^aws_lambda_function\.replica/, /in us-west-2/);
  });
});

describe("api-iam-auth", () => {
  it("flags POST /messages without IAM authorization", () => {
    const v = broken(({ resource }) => {
      pick(resource, "aws_api_gateway_method", "messages")[1].authorization = "NONE";
    });
    // Open to anyone, it also breaks api-no-auth-only-health (access-rules.test.ts).
    const own = v.filter((x) => x.rule === "api-iam-auth");
    expect(rulesOf(v)).toEqual(["api-iam-auth", "api-no-auth-only-health"]);
    expectOnly(
      own,
      "api-iam-auth",
      /^aws_api_gateway_method\.producer-api_messages-method/,
      /authorization NONE/,
    );
  });

  it("flags an API whose POST /messages is gone", () => {
    const v = broken(({ resource }) => {
      pick(resource, "aws_api_gateway_resource", "messages")[1].path_part = "msgs";
    });
    expectOnly(v, "api-iam-auth", /^aws_api_gateway_rest_api\./, /no POST \/messages/);
  });
});

describe("no-machine-paths", () => {
  it("flags the project directory in a function's package path", () => {
    const v = broken(({ resource }) => {
      const [, fn] = pick(resource, "aws_lambda_function", "active_consumer");
      fn.filename = `${PROJECT_ROOT}/${String(fn.filename)}`;
    });
    expectOnly(v, "no-machine-paths", /^aws_lambda_function\.active_consumer/, /machine directory/);
  });

  it("flags an absolute local state path", () => {
    const v = broken((json) => {
      (json.terraform as { backend: { local: { path: string } } }).backend.local.path =
        "/srv/state/terraform.primary.tfstate";
    });
    expectOnly(v, "no-machine-paths", /^terraform$/, /backend\.local\.path is an absolute path/);
  });

  it("flags a temp or home directory anywhere in a string", () => {
    const v = runChecks(structuredClone(defaults), {
      context: { machineDirs: ["/srv/ci-builder"] },
    });
    expect(v).toEqual([]);
    const copy = structuredClone(defaults);
    (copy[0].json.output as Record<string, { value: unknown }>).region.value =
      "x:/srv/ci-builder/y";
    const flagged = runChecks(copy, { context: { machineDirs: ["/srv/ci-builder"] } });
    expectOnly(
      flagged,
      "no-machine-paths",
      /^output$/,
      /region\.value contains the machine directory \/srv\/ci-builder/,
    );
  });
});

describe("explicit-provider", () => {
  it("flags a resource that names no provider", () => {
    const v = broken(({ resource }) => {
      delete pick(resource, "aws_lambda_permission", "health")[1].provider;
    });
    expectOnly(v, "explicit-provider", /^aws_lambda_permission\.producer-api_health-permission/);
  });
});

describe("every rule", () => {
  it("has a test above that makes it fire", () => {
    // The rules in print order; each has a describe block in a test file of this directory.
    const tested = [
      "sqs-encryption",
      "sqs-dead-letter-queue",
      "sqs-tls-only",
      "sqs-policy-feeding-topic",
      "sqs-redrive-allow-by-queue",
      "sns-encryption",
      "sns-tls-only",
      "sns-subscription-provider",
      "dynamodb-encryption-recovery",
      "lambda-runtime",
      "lambda-log-group",
      "lambda-permission-scoped",
      "iam-least-privilege",
      "resource-policy-document",
      "resource-policy-principals",
      "api-iam-auth",
      "api-no-auth-only-health",
      "no-machine-paths",
      "explicit-provider",
    ];
    expect(RULES.map((r) => r.id)).toEqual(tested);
    const described = readdirSync(__dirname)
      .filter((f) => f.endsWith(".test.ts"))
      .flatMap((f) => [
        ...readFileSync(join(__dirname, f), "utf8").matchAll(/^describe\("([^"]+)"/gm),
      ])
      .map((m) => m[1]);
    expect(tested.filter((id) => !described.includes(id))).toEqual([]);
  });
});
