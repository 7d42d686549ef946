/**
 * The IAM rule: which wildcard, NotAction or principal each kind of policy may hold, and the
 * listed exceptions where AWS offers nothing narrower, each on a stack broken on purpose.
 */
import {
  Body,
  defaultStacks,
  expectOnly,
  pick,
  Section,
  statements,
  topicOwner,
} from "../support/broken-stack";

const real = defaultStacks();
const broken = real.broken;

describe("iam-least-privilege", () => {
  const consumePolicy = "active_consumer_function_consume-queue-policy-document";

  it("flags a wildcard action in a role policy", () => {
    const v = broken(({ data }) => {
      (
        statements(pick(data, "aws_iam_policy_document", consumePolicy)[1])[0].actions as string[]
      ).push("*");
    });
    expectOnly(
      v,
      "iam-least-privilege",
      new RegExp(`^data\\.aws_iam_policy_document\\.${consumePolicy}`),
      /wildcard action \*/,
    );
  });

  it("flags a service-wide action in a role policy", () => {
    const v = broken(({ data }) => {
      statements(pick(data, "aws_iam_policy_document", consumePolicy)[1])[0].actions = ["sqs:*"];
    });
    expectOnly(v, "iam-least-privilege", /consume-queue-policy-document/, /wildcard action sqs:\*/);
  });

  it("flags a wildcard resource in a role policy", () => {
    const v = broken(({ data }) => {
      statements(
        pick(data, "aws_iam_policy_document", "producer-api_function_publish")[1],
      )[0].resources = ["*"];
    });
    expectOnly(v, "iam-least-privilege", /publish-policy-document/, /wildcard resource \*/);
  });

  it("flags a wildcard inside an ARN", () => {
    const v = broken(({ data }) => {
      statements(pick(data, "aws_iam_policy_document", consumePolicy)[1])[0].resources = [
        "arn:aws:sqs:*:123456789012:fanout-*",
      ];
    });
    expectOnly(v, "iam-least-privilege", /consume-queue/, /wildcard resource arn:aws:sqs:\*/);
  });

  it("flags NotAction", () => {
    const v = broken(({ data }) => {
      const [, doc] = pick(data, "aws_iam_policy_document", consumePolicy);
      statements(doc)[0].not_actions = ["iam:*"];
      delete statements(doc)[0].actions;
    });
    expectOnly(v, "iam-least-privilege", /consume-queue/, /NotAction/);
  });

  it("flags a role policy written as an opaque expression", () => {
    const v = broken(({ resource }) => {
      pick(resource, "aws_iam_role_policy", "active_consumer_function_consume")[1].policy =
        '${jsonencode({Statement = [{Effect = "Allow", Action = "*", Resource = "*"}]})}';
    });
    // The document it used is now attached to nothing, and is still judged as a role policy.
    expectOnly(
      v,
      "iam-least-privilege",
      /^aws_iam_role_policy\.active_consumer_function_consume/,
      /cannot be checked/,
    );
  });

  it("flags a wildcard in a role policy written as JSON", () => {
    const v = broken(({ resource }) => {
      pick(resource, "aws_iam_role_policy", "active_consumer_function_consume")[1].policy =
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "sqs:*", Resource: "*" }],
        });
    });
    expectOnly(
      v,
      "iam-least-privilege",
      /^aws_iam_role_policy\.active_consumer/,
      /wildcard action sqs:\*[\s\S]*wildcard resource \*/,
    );
  });

  it("flags an attached managed policy", () => {
    const v = broken(({ resource }) => {
      resource.aws_iam_role_policy_attachment = {
        basic: {
          provider: "aws.us-east-1",
          role: "${aws_iam_role.x.name}",
          policy_arn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        },
      };
    });
    expectOnly(v, "iam-least-privilege", /^aws_iam_role_policy_attachment\.basic$/, /cannot see/);
  });

  it("flags a trust policy anyone may assume", () => {
    const v = broken(({ data }) => {
      const [, doc] = pick(data, "aws_iam_policy_document", "active_consumer_function_assume-role");
      statements(doc)[0].principals = [{ type: "AWS", identifiers: ["*"] }];
    });
    expectOnly(
      v,
      "iam-least-privilege",
      /assume-role/,
      /lets anyone assume the role \(trust policy/,
    );
  });

  it("flags a resource policy that grants everyone without a condition", () => {
    const v = broken(({ data }) => {
      const [, doc] = pick(data, "aws_iam_policy_document", "topic_policy-document");
      statements(doc).push({
        effect: "Allow",
        principals: [{ type: "*", identifiers: ["*"] }],
        actions: ["sns:Publish"],
        resources: statements(doc)[0].resources,
      });
    });
    expectOnly(
      v,
      "iam-least-privilege",
      /topic_policy-document/,
      /grants to every principal without a condition \(resource policy of aws_sns_topic_policy\)/,
    );
  });

  it("accepts the listed exception for PutMetricData with a namespace condition, and only with it", () => {
    const putMetricData = (condition: boolean) =>
      broken(({ data }) => {
        statements(pick(data, "aws_iam_policy_document", consumePolicy)[1]).push({
          effect: "Allow",
          actions: ["cloudwatch:PutMetricData"],
          resources: ["*"],
          ...(condition
            ? {
                condition: [
                  {
                    test: "StringEquals",
                    variable: "cloudwatch:namespace",
                    values: ["SnsSqsMultiRegion"],
                  },
                ],
              }
            : {}),
        });
      });
    expect(putMetricData(true)).toEqual([]);
    expectOnly(
      putMetricData(false),
      "iam-least-privilege",
      /consume-queue/,
      /wildcard resource \*/,
    );
  });

  it("accepts `*` as the resource of a KMS key policy only", () => {
    const keyPolicy = (carrier: string) =>
      broken(({ resource, data }) => {
        data.aws_iam_policy_document.key = {
          provider: "aws.us-east-1",
          statement: [
            {
              effect: "Allow",
              principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
              actions: ["kms:Decrypt", "kms:GenerateDataKey"],
              resources: ["*"],
              condition: [
                {
                  test: "StringEquals",
                  variable: "aws:SourceAccount",
                  values: [topicOwner(resource)],
                },
              ],
            },
          ],
        };
        resource[carrier] = {
          ...resource[carrier],
          k: { provider: "aws.us-east-1", policy: "${data.aws_iam_policy_document.key.json}" },
        };
      });
    expect(keyPolicy("aws_kms_key")).toEqual([]);
    expectOnly(
      keyPolicy("aws_s3_bucket_policy"),
      "iam-least-privilege",
      /^data\.aws_iam_policy_document\.key$/,
      /resource policy of aws_s3_bucket_policy/,
    );
  });

  it("accepts kms:* in a key policy for the account root only", () => {
    const rootStatement = (principal: Body, condition?: Body[]) =>
      broken(({ resource, data }) => {
        data.aws_iam_policy_document.key = {
          provider: "aws.us-east-1",
          statement: [
            {
              effect: "Allow",
              principals: [principal],
              actions: ["kms:*"],
              resources: ["*"],
              ...(condition ? { condition } : {}),
            },
          ],
        };
        resource.aws_kms_key = {
          ...resource.aws_kms_key,
          k: { provider: "aws.us-east-1", policy: "${data.aws_iam_policy_document.key.json}" },
        };
      });
    const root = (owner: string) => `arn:\${data.aws_partition.p.partition}:iam::${owner}:root`;
    const owner = topicOwner(real.stacks[0].json.resource as Section);
    expect(rootStatement({ type: "AWS", identifiers: [root(owner)] })).toEqual([]);
    expectOnly(
      rootStatement({ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }, [
        { test: "StringEquals", variable: "aws:SourceAccount", values: [owner] },
      ]),
      "iam-least-privilege",
      /^data\.aws_iam_policy_document\.key$/,
      /wildcard action kms:\*/,
    );
  });

  it("judges a document attached to nothing as a role policy", () => {
    const v = broken(({ data }) => {
      data.aws_iam_policy_document.loose = {
        provider: "aws.us-east-1",
        statement: [{ effect: "Allow", actions: ["s3:GetObject"], resources: ["*"] }],
      };
    });
    expectOnly(v, "iam-least-privilege", /^data\.aws_iam_policy_document\.loose$/, /not attached/);
  });
});
