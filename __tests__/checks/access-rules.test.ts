/**
 * The rules on who may act: each fires, alone, on a stack broken on purpose, and the reading of
 * conditions, ARN patterns and accounts they share holds for any input (fast-check).
 */
import fc from "fast-check";
import {
  accountOf,
  arnPatternNarrows,
  NARROWING_CONDITION_KEYS,
  narrows,
} from "../../checks/rules/policy";
import {
  Body,
  defaultStacks,
  EditableJson,
  expectOnly,
  pick,
  statements,
  topicOwner,
} from "../support/broken-stack";

const { broken } = defaultStacks();

/** The fan-out topic's policy document gains `statement`, on the topic. */
const topicGrant = (statement: (json: EditableJson, topicArn: string) => Body) =>
  broken((json) => {
    const [, doc] = pick(json.data, "aws_iam_policy_document", "topic_policy-document");
    const topicArn = (statements(doc)[0].resources as string[])[0];
    statements(doc).push({ effect: "Allow", resources: [topicArn], ...statement(json, topicArn) });
  });

const secureTransportOnly = [{ test: "Bool", variable: "aws:SecureTransport", values: ["true"] }];

describe("narrowing conditions", () => {
  const keys = Object.keys(NARROWING_CONDITION_KEYS);
  const literal = fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/);

  it("count only the listed keys, in any case, with an admitting operator and no wildcard", () => {
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.boolean(), literal, (key, upper, value) => {
        const variable = upper ? key.toUpperCase() : key;
        expect(narrows({ test: "StringEquals", variable, values: [value] })).toBe(true);
        expect(narrows({ test: "StringNotEquals", variable, values: [value] })).toBe(false);
        expect(narrows({ test: "StringEqualsIfExists", variable, values: [value] })).toBe(false);
        expect(narrows({ test: "StringLike", variable, values: ["*"] })).toBe(false);
        expect(narrows({ test: "StringEquals", variable, values: [] })).toBe(false);
      }),
    );
  });

  it("never count a key outside the list, aws:SecureTransport included", () => {
    const other = fc
      .oneof(fc.constant("aws:SecureTransport"), fc.constant("aws:SourceIp"), fc.string())
      .filter((k) => !keys.some((x) => x.toLowerCase() === k.toLowerCase()));
    fc.assert(
      fc.property(other, literal, (variable, value) => {
        expect(narrows({ test: "StringEquals", variable, values: [value] })).toBe(false);
      }),
    );
  });

  it("reject an ARN prefix that would also match a longer name, accept one ending in / or :", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
    fc.assert(
      fc.property(name, name, (unit, tail) => {
        const arn = (prefix: string) => `arn:aws:cloudwatch:us-east-1:\${x.owner}:alarm:${prefix}*`;
        expect(arnPatternNarrows(arn(unit))).toBe(false);
        expect(arnPatternNarrows(arn(`${unit}-${tail}-`))).toBe(false);
        expect(arnPatternNarrows(arn(`${unit}/`))).toBe(true);
        expect(arnPatternNarrows(`arn:aws:cloudwatch:*:123456789012:alarm:${unit}/*`)).toBe(false);
      }),
    );
  });

  it("read the account of a 12-digit id, an IAM or STS ARN, or a reference", () => {
    const account = fc.stringMatching(/^\d{12}$/);
    const path = fc.constantFrom("root", "role/x", "user/a/b");
    fc.assert(
      fc.property(account, path, (id, resource) => {
        expect(accountOf(id)).toBe(id);
        expect(accountOf(`arn:aws:iam::${id}:${resource}`)).toBe(id);
        expect(accountOf(`arn:\${data.aws_partition.p.partition}:sts::${id}:${resource}`)).toBe(id);
        expect(accountOf(`arn:aws:sns:us-east-1:${id}:topic`)).toBeUndefined();
      }),
    );
    expect(accountOf("arn:aws:iam::${aws_sns_topic.t.owner}:root")).toBe(
      "${aws_sns_topic.t.owner}",
    );
    // A colon inside an interpolation does not end the account field.
    expect(accountOf('arn:aws:iam::${lookup(var.ids, "a:b")}:root')).toBe(
      '${lookup(var.ids, "a:b")}',
    );
  });
});

describe("iam-least-privilege with narrowing conditions", () => {
  it("flags an Allow for everyone whose only condition is aws:SecureTransport", () => {
    const v = topicGrant(() => ({
      principals: [{ type: "*", identifiers: ["*"] }],
      actions: ["sns:Publish"],
      condition: secureTransportOnly,
    }));
    expectOnly(
      v,
      "iam-least-privilege",
      /topic_policy-document/,
      /grants to every principal with no condition that narrows who may act \(aws:SecureTransport do not/,
    );
  });

  it("accepts an Allow for everyone of this organization", () => {
    const v = topicGrant(() => ({
      principals: [{ type: "*", identifiers: ["*"] }],
      actions: ["sns:Publish"],
      condition: [{ test: "StringEquals", variable: "aws:PrincipalOrgID", values: ["o-a1b2c3"] }],
    }));
    expect(v).toEqual([]);
  });
});

describe("resource-policy-document", () => {
  it("flags a topic policy written as inline JSON", () => {
    const v = broken(({ resource }) => {
      const [, policy] = pick(resource, "aws_sns_topic_policy", "topic_policy");
      policy.policy = JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Deny",
            Principal: "*",
            Action: "sns:Publish",
            Resource: policy.arn,
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      });
    });
    expectOnly(v, "resource-policy-document", /^aws_sns_topic_policy\.topic_policy/, /inline JSON/);
  });
});

describe("resource-policy-principals", () => {
  it("flags a principal of another account on the topic", () => {
    const v = topicGrant(() => ({
      principals: [{ type: "AWS", identifiers: ["arn:aws:iam::111122223333:root"] }],
      actions: ["sns:Publish"],
    }));
    expectOnly(
      v,
      "resource-policy-principals",
      /^aws_sns_topic_policy\.topic_policy/,
      /grants arn:aws:iam::111122223333:root, which is not this stack's account/,
    );
  });

  it("accepts the topic owner's account", () => {
    const v = topicGrant(({ resource }) => ({
      principals: [{ type: "AWS", identifiers: [topicOwner(resource)] }],
      actions: ["sns:Publish"],
    }));
    expect(v).toEqual([]);
  });

  it("flags a service principal without aws:SourceArn or aws:SourceAccount", () => {
    for (const condition of [undefined, secureTransportOnly]) {
      const v = topicGrant(() => ({
        principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
        actions: ["sns:Publish"],
        ...(condition ? { condition } : {}),
      }));
      expectOnly(
        v,
        "resource-policy-principals",
        /^aws_sns_topic_policy\.topic_policy/,
        /grants events\.amazonaws\.com without aws:SourceArn or aws:SourceAccount/,
      );
    }
  });

  it("flags a service acting for another account", () => {
    const v = topicGrant(() => ({
      principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
      actions: ["sns:Publish"],
      condition: [
        { test: "StringEquals", variable: "aws:SourceAccount", values: ["111122223333"] },
      ],
    }));
    expectOnly(v, "resource-policy-principals", /topic_policy/, /admits aws:SourceAccount 1111/);
  });

  it("flags an alarm-name prefix that also matches another stack's alarms", () => {
    const v = broken(({ data }) => {
      const [, doc] = pick(data, "aws_iam_policy_document", "alarms_topic-us-east-1_topic-policy");
      const allow = statements(doc).find((s) => s.effect === "Allow")!;
      const [arnLike] = allow.condition as { values: string[] }[];
      arnLike.values = arnLike.values.map((x) => x.replace(/\/\*$/, "-*"));
    });
    expectOnly(
      v,
      "resource-policy-principals",
      /^aws_sns_topic_policy\.alarms_topic-us-east-1_policy/,
      /alarm:fanout-primary-\*, whose wildcard reaches past one prefix/,
    );
  });
});

describe("lambda-permission-scoped", () => {
  const permission = (change: (p: Body, apiArn: string) => void) =>
    broken(({ resource }) => {
      const [, p] = pick(resource, "aws_lambda_permission", "health");
      change(p, String(p.source_arn).replace(/\/v1\/GET\/health$/, ""));
    });

  it("flags principal *", () => {
    const v = permission((p) => (p.principal = "*"));
    expectOnly(v, "lambda-permission-scoped", /health-permission/, /anyone may invoke/);
  });

  it("flags a permission without source_arn", () => {
    const v = permission((p) => delete p.source_arn);
    expectOnly(v, "lambda-permission-scoped", /health-permission/, /no source_arn/);
  });

  it("flags a wildcard source covering other APIs or accounts", () => {
    for (const source of [
      "arn:aws:execute-api:us-east-1:*:*/*/*",
      "arn:aws:execute-api:us-east-1:123456789012:*",
    ]) {
      const v = permission((p) => (p.source_arn = source));
      expectOnly(v, "lambda-permission-scoped", /health-permission/, /has a wildcard outside/);
    }
    const v = permission((p, api) => (p.source_arn = `${api}*`));
    expectOnly(v, "lambda-permission-scoped", /health-permission/, /has a wildcard outside/);
  });

  it("accepts stage and method wildcards under this stack's own API", () => {
    expect(permission((p, api) => (p.source_arn = `${api}/*/*`))).toEqual([]);
  });

  it("flags a principal of another account", () => {
    const v = permission((p) => (p.principal = "111122223333"));
    expectOnly(v, "lambda-permission-scoped", /health-permission/, /not this stack's account/);
  });
});

describe("api-no-auth-only-health", () => {
  it("flags a method without authorization other than GET /health", () => {
    for (const change of [
      (r: EditableJson["resource"]) =>
        (pick(r, "aws_api_gateway_method", "health")[1].http_method = "ANY"),
      (r: EditableJson["resource"]) =>
        (pick(r, "aws_api_gateway_resource", "health")[1].path_part = "status"),
    ]) {
      const v = broken(({ resource }) => change(resource));
      expectOnly(
        v,
        "api-no-auth-only-health",
        /^aws_api_gateway_method\.producer-api_health-method/,
        /(ANY \/health|GET \/status) has authorization NONE; only GET \/health may/,
      );
    }
  });
});

describe("sqs-redrive-allow-by-queue", () => {
  const allow = (policy: unknown) =>
    broken(({ resource }) => {
      const [, p] = pick(resource, "aws_sqs_queue_redrive_allow_policy", "active");
      p.redrive_allow_policy = JSON.stringify(policy);
    });

  it('flags "allowAll"', () => {
    expectOnly(
      allow({ redrivePermission: "allowAll" }),
      "sqs-redrive-allow-by-queue",
      /^aws_sqs_queue_redrive_allow_policy\.active/,
      /redrivePermission "allowAll"/,
    );
  });

  it("flags byQueue with a wildcard source", () => {
    expectOnly(
      allow({ redrivePermission: "byQueue", sourceQueueArns: ["arn:aws:sqs:us-east-1:1:*"] }),
      "sqs-redrive-allow-by-queue",
      /active/,
      /by wildcard/,
    );
  });

  it('accepts "denyAll"', () => {
    expect(allow({ redrivePermission: "denyAll" })).toEqual([]);
  });
});
