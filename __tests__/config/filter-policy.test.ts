import fc from "fast-check";
import { ConfigError, loadConfig } from "../../config/config";
import {
  filterFor,
  filterPolicyProblem,
  FILTER_POLICY_LIMITS,
  parseSubscriptionFilters,
  type FilterPolicyScope,
  type SubscriptionFilters,
} from "../../config/filter-policy";
import { REGION_PATTERN } from "../../config/settings";

const isRegion = (key: string) => REGION_PATTERN.test(key);
const SCOPES: FilterPolicyScope[] = ["MessageAttributes", "MessageBody"];

describe("filterPolicyProblem", () => {
  it.each([
    ["exact strings and numbers", { kind: ["order", "refund"], size: [1, 2.5] }],
    ["keywords", { flag: [true, false, null] }],
    ["prefix, suffix, equals-ignore-case", { a: [{ prefix: "ord" }, { suffix: "er" }] }],
    ["equals-ignore-case", { a: [{ "equals-ignore-case": "ORDER" }] }],
    ["exists", { a: [{ exists: true }], b: [{ exists: false }] }],
    ["anything-but forms", { a: [{ "anything-but": ["x", "y"] }, { "anything-but": 5 }] }],
    ["anything-but prefix", { a: [{ "anything-but": { prefix: "test-" } }] }],
    ["numeric", { price: [{ numeric: [">", 0, "<=", 100] }, { numeric: ["=", 3] }] }],
    ["$or", { source: ["a"], $or: [{ x: ["1"] }, { y: ["2"] }] }],
  ])("accepts %s in both scopes", (_, policy) => {
    for (const scope of SCOPES) expect(filterPolicyProblem(policy, scope)).toBeUndefined();
  });

  it("accepts nesting only with scope MessageBody, counting its depth (AWS's example: 72)", () => {
    const nested = {
      key_a: { key_b: { key_c: ["v1", "v2", "v3", "v4"] } },
      key_d: { key_e: ["v1", "v2", "v3"] },
    };
    expect(filterPolicyProblem(nested, "MessageBody")).toBeUndefined();
    expect(filterPolicyProblem(nested, "MessageAttributes")).toMatch(
      /"key_a" is nested; only scope MessageBody allows nesting/,
    );
    // 4 values at depth 3 x 3 values at depth 2 = 72; three such keys are 72 x 6 > 150.
    const tooDeep = { ...nested, key_f: { key_g: ["v1", "v2", "v3"] } };
    expect(filterPolicyProblem(tooDeep, "MessageBody")).toMatch(/too complex/);
  });

  it.each([
    ["not an object", ["a"], /is not a JSON object/],
    ["empty", {}, /has no properties/],
    [
      "six keys",
      { a: [1], b: [1], c: [1], d: [1], e: [1], f: [1] },
      /6 property names, more than 5/,
    ],
    [
      "six keys through $or",
      {
        a: [1],
        $or: [
          { b: [1], c: [1] },
          { d: [1], e: [1], f: [1] },
        ],
      },
      /6 property names/,
    ],
    ["151 combinations", { a: Array.from({ length: 151 }, (_, i) => i) }, /too complex/],
    ["empty rules", { a: [] }, /"a" has an empty list of rules/],
    ["a bare value", { a: "x" }, /"a" must be a list of rules/],
    ["a list in the rules", { a: [["x"]] }, /rule that is a list/],
    ["a number out of range", { a: [2e9] }, /outside -1e9 to 1e9/],
    ["an unknown operator", { a: [{ wildcard: "x*" }] }, /unknown operator "wildcard"/],
    ["two operators in one object", { a: [{ prefix: "x", suffix: "y" }] }, /2 operators, not one/],
    ["an empty prefix", { a: [{ prefix: "" }] }, /"prefix" must be a non-empty string/],
    ["exists not a boolean", { a: [{ exists: "yes" }] }, /"exists" must be true or false/],
    ["a bad numeric operator", { a: [{ numeric: ["!=", 1] }] }, /"numeric" must be/],
    [
      "a numeric range upside down",
      { a: [{ numeric: [">", 5, "<", 1] }] },
      /low 5 not below high 1/,
    ],
    ["a numeric range with < first", { a: [{ numeric: ["<", 1, ">", 5] }] }, /"numeric" must be/],
    [
      "anything-but of mixed types",
      { a: [{ "anything-but": ["x", 1] }] },
      /"anything-but" must be/,
    ],
    ["$or with one branch", { $or: [{ a: [1] }] }, /"\$or" must be a list of at least two objects/],
    ["$or with an empty branch", { $or: [{ a: [1] }, {}] }, /"\$or" has an empty branch/],
  ])("refuses %s", (_, policy, message) => {
    expect(filterPolicyProblem(policy, "MessageAttributes")).toMatch(message);
  });

  it("refuses a policy over 256 KB", () => {
    const big = { a: ["x".repeat(FILTER_POLICY_LIMITS.maxBytes)] };
    expect(filterPolicyProblem(big, "MessageBody")).toMatch(/more than 262144/);
  });

  it("refuses an empty nested object and nesting too deep to be under the limit", () => {
    expect(filterPolicyProblem({ a: {} }, "MessageBody")).toMatch(/"a" is an empty object/);
    let deep: Record<string, unknown> = { leaf: ["x"] };
    for (let i = 0; i < 200; i++) deep = { n: deep };
    expect(filterPolicyProblem(deep, "MessageBody")).toMatch(/too (deep|complex)/);
  });
});

/** Rules SNS accepts: strings, in-range numbers, keywords and operator objects. */
const ruleArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.string(),
  fc.integer({ min: -1e9, max: 1e9 }),
  fc.constantFrom(true, false, null),
  fc.string({ minLength: 1 }).map((s) => ({ prefix: s })),
  fc.string({ minLength: 1 }).map((s) => ({ "equals-ignore-case": s })),
  fc.boolean().map((b) => ({ exists: b })),
  fc.array(fc.string(), { minLength: 1, maxLength: 3 }).map((a) => ({ "anything-but": a })),
  fc
    .tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 1, max: 1000 }))
    .map(([low, width]) => ({ numeric: [">=", low, "<", low + width] })),
);
const nameArb = fc.stringMatching(/^[a-z_]{1,8}$/);

/** A flat policy of 1 to 5 keys whose combinations stay within 150 (each list at most 2 long). */
const validPolicyArb = fc.dictionary(nameArb, fc.array(ruleArb, { minLength: 1, maxLength: 2 }), {
  minKeys: 1,
  maxKeys: 5,
});

describe("filterPolicyProblem, properties", () => {
  it("accepts every flat policy within SNS's limits, in both scopes", () => {
    fc.assert(
      fc.property(validPolicyArb, fc.constantFrom(...SCOPES), (policy, scope) => {
        expect(filterPolicyProblem(policy, scope)).toBeUndefined();
      }),
    );
  });

  it("refuses a sixth property name, whatever the others", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(nameArb, { minLength: 6, maxLength: 8 }),
        fc.constantFrom(...SCOPES),
        (names, scope) => {
          const policy = Object.fromEntries(names.map((n) => [n, ["x"]]));
          expect(filterPolicyProblem(policy, scope)).toMatch(/property names, more than 5/);
        },
      ),
    );
  });

  it("refuses exactly the policies whose product of list lengths exceeds 150", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 5 }),
        (lengths) => {
          const policy = Object.fromEntries(
            lengths.map((n, i) => [`k${i}`, Array.from({ length: n }, (_, j) => `v${j}`)]),
          );
          const product = lengths.reduce((a, b) => a * b, 1);
          const problem = filterPolicyProblem(policy, "MessageAttributes");
          if (product > 150) expect(problem).toMatch(/too complex/);
          else expect(problem).toBeUndefined();
        },
      ),
    );
  });

  it("answers any JSON value with a problem or undefined, never a throw", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(...SCOPES), (value, scope) => {
        const problem = filterPolicyProblem(value, scope);
        expect(problem === undefined || typeof problem === "string").toBe(true);
      }),
    );
  });
});

describe("parseSubscriptionFilters", () => {
  it("reads an object or its JSON text alike, scope MessageAttributes by default", () => {
    const value = {
      active: { policy: { kind: ["order"] } },
      "us-west-2": { policy: { order: { kind: ["x"] } }, scope: "MessageBody" },
    };
    const expected: SubscriptionFilters = {
      active: { policy: { kind: ["order"] }, scope: "MessageAttributes" },
      "us-west-2": { policy: { order: { kind: ["x"] } }, scope: "MessageBody" },
    };
    expect(parseSubscriptionFilters(value, isRegion)).toEqual(expected);
    expect(parseSubscriptionFilters(JSON.stringify(value), isRegion)).toEqual(expected);
  });

  it.each([
    ["not JSON", "{", /is not JSON/],
    ["not an object", "[]", /is not an object/],
    ["an unknown key", { replica: { policy: { a: [1] } } }, /key "replica", which is neither/],
    ["a value without policy", { active: { a: [1] } }, /not \{"policy": \.\.\., "scope": \.\.\.\}/],
    ["an unknown scope", { active: { policy: { a: [1] }, scope: "Body" } }, /unknown scope "Body"/],
    [
      "a bad policy",
      { replicas: { policy: { a: [] } } },
      /key "replicas" whose policy property "a"/,
    ],
  ])("refuses %s", (_, value, message) => {
    const parsed = parseSubscriptionFilters(value, isRegion);
    expect(parsed).toEqual({ problem: expect.stringMatching(message) });
  });

  it("gives every valid entry back unchanged, from text or object", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom("active", "replicas", "eu-west-1"), validPolicyArb),
        (policies) => {
          const value = Object.fromEntries(
            Object.entries(policies).map(([k, policy]) => [k, { policy, scope: "MessageBody" }]),
          );
          expect(parseSubscriptionFilters(JSON.stringify(value), isRegion)).toEqual(value);
        },
      ),
    );
  });
});

describe("filterFor", () => {
  const only = (key: string) => ({ policy: { key: [key] }, scope: "MessageAttributes" as const });
  const filters = {
    active: only("active"),
    replicas: only("replicas"),
    "us-west-2": only("region"),
  };

  it("takes the region's entry over the role's, and the role's otherwise", () => {
    expect(filterFor(filters, "active", "us-east-1")).toEqual(only("active"));
    expect(filterFor(filters, "replica", "eu-west-1")).toEqual(only("replicas"));
    expect(filterFor(filters, "replica", "us-west-2")).toEqual(only("region"));
    expect(filterFor(filters, "active", "us-west-2")).toEqual(only("region"));
    expect(filterFor({ replicas: only("r") }, "active", "us-east-1")).toBeUndefined();
    expect(filterFor({}, "replica", "toString")).toBeUndefined();
  });
});

describe("loadConfig with subscription settings", () => {
  const load = (env: Record<string, string>) => () => loadConfig({ env });

  it("carries the filters and raw delivery into the queue settings, off by default", () => {
    expect(loadConfig().queues.subscription).toEqual({ filters: {}, rawMessageDelivery: false });
    const config = loadConfig({
      env: {
        FANOUT_SUBSCRIPTION_FILTER_POLICIES: '{"active": {"policy": {"kind": ["order"]}}}',
        FANOUT_RAW_MESSAGE_DELIVERY: "true",
      },
    });
    expect(config.queues.subscription).toEqual({
      filters: { active: { policy: { kind: ["order"] }, scope: "MessageAttributes" } },
      rawMessageDelivery: true,
    });
  });

  it("throws one line naming the setting, the value and what is allowed on a bad policy", () => {
    const env = { FANOUT_SUBSCRIPTION_FILTER_POLICIES: '{"active": {"policy": {"a": []}}}' };
    expect(load(env)).toThrow(ConfigError);
    expect(load(env)).toThrow(
      /^Invalid setting subscriptionFilterPolicies \(env FANOUT_SUBSCRIPTION_FILTER_POLICIES\): .*"a" has an empty list of rules; allowed: \{"active", "replicas" or <region>: .*$/,
    );
  });

  it("throws when a region key is not a region of the stacks", () => {
    const env = { FANOUT_SUBSCRIPTION_FILTER_POLICIES: '{"eu-west-1": {"policy": {"a": [1]}}}' };
    expect(load(env)).toThrow(
      /^Invalid setting subscriptionFilterPolicies \(env FANOUT_SUBSCRIPTION_FILTER_POLICIES\): .* names region "eu-west-1", which is not a region of the stacks; allowed: "active", "replicas" or one of us-east-1, us-west-2 as keys$/,
    );
  });

  it("throws on a raw delivery flag that is not a boolean", () => {
    expect(load({ FANOUT_RAW_MESSAGE_DELIVERY: "yes" })).toThrow(
      /^Invalid setting rawMessageDelivery \(env FANOUT_RAW_MESSAGE_DELIVERY\): "yes" is not a boolean; allowed: true or false$/,
    );
  });
});
