/**
 * The plan check without Terraform: the plan's configuration read back as Terraform JSON, and
 * the policy rules run on it. (`offline-plan.test.ts` runs the same check on real plans.)
 */
import fc from "fast-check";
import type { ConfigResource, Expression, PlanJson } from "../../inspect/plan";
import { planStack } from "../../inspect/plan";
import { StackIndex } from "../../inspect/stack-index";
import { checkPlan, PLAN_RULE_IDS, rulesById } from "../../verify/plan-check";
import type { WiringExpectation } from "../../verify/wiring";

const QUEUE = "aws_sqs_queue.q";
const DLQ = "aws_sqs_queue.dlq";

function plan(resources: ConfigResource[]): PlanJson {
  return {
    configuration: {
      provider_config: {
        aws: { name: "aws" },
        "aws.us-east-1": {
          name: "aws",
          alias: "us-east-1",
          expressions: { region: { constant_value: "us-east-1" } },
        },
      },
      root_module: { resources },
    },
  };
}

function resource(
  address: string,
  expressions: Record<string, Expression>,
  mode: "managed" | "data" = "managed",
): ConfigResource {
  const parts = address.split(".");
  const [type, name] = mode === "data" ? parts.slice(1) : parts;
  return { address, mode, type, name, provider_config_key: "aws.us-east-1", expressions };
}

/** A reference as Terraform shows a JSON-syntax template: its text, and what it references. */
const ref = (address: string, attribute: string): Expression => ({
  constant_value: `\${${address}.${attribute}}`,
  references: [`${address}.${attribute}`, address],
});

/** A queue with SSE and a DLQ, the DLQ, and one TLS-only policy each. */
function queuePlan(queue: Record<string, Expression> = {}): PlanJson {
  const policy = (queueAddress: string, id: string): ConfigResource[] => [
    resource(
      `data.aws_iam_policy_document.${id}`,
      {
        statement: [
          {
            effect: { constant_value: "Deny" },
            actions: { constant_value: ["sqs:*"] },
            resources: ref(queueAddress, "arn"),
            principals: [{ type: { constant_value: "*" }, identifiers: { constant_value: ["*"] } }],
            condition: [
              {
                test: { constant_value: "Bool" },
                variable: { constant_value: "aws:SecureTransport" },
                values: { constant_value: ["false"] },
              },
            ],
          },
        ],
      },
      "data",
    ),
    resource(`aws_sqs_queue_policy.${id}`, {
      queue_url: ref(queueAddress, "url"),
      policy: ref(`data.aws_iam_policy_document.${id}`, "json"),
    }),
  ];
  return plan([
    resource(QUEUE, {
      name: { constant_value: "q" },
      sqs_managed_sse_enabled: { constant_value: true },
      redrive_policy: {
        constant_value: `{"deadLetterTargetArn":"\${${DLQ}.arn}","maxReceiveCount":5}`,
        references: [`${DLQ}.arn`, DLQ],
      },
      ...queue,
    }),
    resource(DLQ, {
      name: { constant_value: "dlq" },
      sqs_managed_sse_enabled: { constant_value: true },
    }),
    ...policy(QUEUE, "q_policy"),
    ...policy(DLQ, "dlq_policy"),
  ]);
}

const EXPECT: WiringExpectation = {
  homeRegion: "us-east-1",
  regions: ["us-east-1"],
  names: { topic: "t", queues: [], alarmTopics: {} } as unknown as WiringExpectation["names"],
};

/** The plan check's problems that come from the rules. */
const ruleProblems = (p: PlanJson): string[] =>
  checkPlan("s", p, EXPECT)
    .map((x) => `${x.address}: ${x.problem}`)
    .filter((line) => PLAN_RULE_IDS.some((id) => line.includes(`: ${id}: `)));

describe("planStack", () => {
  it("reads the configuration back as the Terraform JSON it was written as", () => {
    const stack = planStack("s", queuePlan());
    expect(stack.name).toBe("s");
    expect(stack.json.provider).toEqual({
      aws: [{}, { alias: "us-east-1", region: "us-east-1" }],
    });
    expect(stack.json.resource?.aws_sqs_queue.q).toEqual({
      name: "q",
      sqs_managed_sse_enabled: true,
      redrive_policy: `{"deadLetterTargetArn":"\${${DLQ}.arn}","maxReceiveCount":5}`,
      provider: "aws.us-east-1",
    });
    expect(stack.json.data?.aws_iam_policy_document.q_policy.statement).toEqual([
      expect.objectContaining({ effect: "Deny", resources: `\${${QUEUE}.arn}` }),
    ]);
    const index = new StackIndex(stack);
    expect(index.regionOf(index.block(QUEUE)!)).toBe("us-east-1");
    expect(index.redrive(index.block(QUEUE)!.body.redrive_policy).target?.address).toBe(DLQ);
    expect(index.policiesOf(index.block(QUEUE)!).map((p) => p.at.address)).toEqual([
      "aws_sqs_queue_policy.q_policy",
    ]);
  });

  it("writes an expression of references only as the first (most specific) one", () => {
    const stack = planStack(
      "s",
      plan([resource(QUEUE, { policy: { references: [`${DLQ}.arn`, DLQ] } })]),
    );
    expect(stack.json.resource?.aws_sqs_queue.q.policy).toBe(`\${${DLQ}.arn}`);
  });

  it("keeps every constant, and nested blocks as lists of bodies (property)", () => {
    const name = fc.stringMatching(/^[a-z][a-z_]{0,8}$/);
    fc.assert(
      fc.property(
        fc.dictionary(name, fc.jsonValue()),
        fc.dictionary(name, fc.array(fc.dictionary(name, fc.jsonValue()), { maxLength: 3 })),
        (constants, blocks) => {
          const expressions: Record<string, Expression> = {};
          for (const [k, v] of Object.entries(constants)) expressions[k] = { constant_value: v };
          for (const [k, list] of Object.entries(blocks)) {
            expressions[`block_${k}`] = list.map((b) =>
              Object.fromEntries(Object.entries(b).map(([bk, bv]) => [bk, { constant_value: bv }])),
            );
          }
          const body = planStack("s", plan([resource(QUEUE, expressions)])).json.resource
            ?.aws_sqs_queue.q;
          const want: Record<string, unknown> = { ...constants, provider: "aws.us-east-1" };
          for (const [k, list] of Object.entries(blocks)) want[`block_${k}`] = list;
          expect(body).toEqual(want);
        },
      ),
    );
  });
});

describe("checkPlan", () => {
  it("finds no rule broken in a plan that keeps them", () => {
    expect(ruleProblems(queuePlan())).toEqual([]);
  });

  it("fails a plan whose queue lost its encryption, with the rule's id", () => {
    expect(ruleProblems(queuePlan({ sqs_managed_sse_enabled: { constant_value: false } }))).toEqual(
      [`${QUEUE}: sqs-encryption: has neither sqs_managed_sse_enabled = true nor a KMS key`],
    );
  });

  it("fails a plan whose queue lost its dead-letter queue, with the rule's id", () => {
    const broken = queuePlan();
    const queue = broken.configuration.root_module.resources![0];
    delete (queue.expressions as Record<string, Expression>).redrive_policy;
    expect(ruleProblems(broken)).toEqual(
      expect.arrayContaining([
        `${QUEUE}: sqs-dead-letter-queue: has no redrive_policy whose deadLetterTargetArn is a queue of this stack`,
      ]),
    );
  });

  it("fails a plan whose queue policy lost its TLS-only statement, with the rule's id", () => {
    const broken = queuePlan();
    const doc = broken.configuration.root_module.resources![2];
    (doc.expressions as Record<string, Expression>).statement = [];
    expect(ruleProblems(broken)).toEqual([
      `aws_sqs_queue_policy.q_policy: sqs-tls-only: policy of ${QUEUE} has no Deny of sqs:* for aws:SecureTransport = false`,
    ]);
  });

  it("names the policy rules it runs, each one a rule of checks/rules/", () => {
    expect(rulesById(PLAN_RULE_IDS).map((r) => r.id)).toEqual(PLAN_RULE_IDS);
  });

  it("throws when a plan rule is not a rule of checks/rules/", () => {
    expect(() => rulesById(["sqs-encryption", "no-such-rule"])).toThrow(
      /^plan rule no-such-rule is not a rule of checks\/rules\/ \(rules: sqs-encryption, .*\)$/,
    );
  });
});
