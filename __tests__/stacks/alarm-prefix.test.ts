/**
 * The alarm-name prefix that the alarm topics' and keys' policies match with a trailing wildcard
 * admits this unit's alarms and no other unit's, even one whose stack name starts with this
 * one's (`primary` and `primary-eu`).
 */
import { runChecks } from "../../checks/run";
import { alarmNamePrefix } from "../../constructs/fanout-alarms";
import { StackIndex } from "../../inspect/stack-index";
import { documentStatements } from "../../inspect/statements";
import { StackJson } from "../../inspect/terraform-json";
import { defaultConfig, stackJsons } from "../support/synth";

const config = defaultConfig({ FANOUT_STACKS: "primary=us-east-1,primary-eu=eu-west-1" });
let json: StackJson[];
let stacks: StackIndex[];

beforeAll(() => {
  json = stackJsons(config);
  stacks = json.map((s) => new StackIndex(s));
});

/** An ArnLike pattern of an alarm ARN, as a test of `<region> <alarm name>`. */
interface AlarmPattern {
  readonly carrier: string;
  readonly matches: (region: string, alarmName: string) => boolean;
}

const escape = (text: string) => text.replace(/[.+^${}()|[\]\\]/g, "\\$&");

/** The alarm ARN patterns of every policy of a stack's KMS keys and SNS topics. */
function alarmPatterns(stack: StackIndex): AlarmPattern[] {
  const patterns: AlarmPattern[] = [];
  for (const at of [
    ...stack.resources("aws_kms_key"),
    ...stack.resources("aws_sns_topic_policy"),
  ]) {
    const source = stack.policy(at.body.policy);
    const statements = source?.kind === "document" ? source.statements : [];
    for (const s of statements) {
      for (const c of s.conditions.filter((x) => x.variable === "aws:SourceArn")) {
        for (const value of c.values) {
          const m = /:cloudwatch:([^:]+):[^:]+:alarm:(.*)$/.exec(value);
          if (!m) continue;
          const name = new RegExp(`^${escape(m[2]).replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
          patterns.push({ carrier: at.type, matches: (r, n) => r === m[1] && name.test(n) });
        }
      }
    }
  }
  return patterns;
}

const alarmsOf = (stack: StackIndex) =>
  stack.resources("aws_cloudwatch_metric_alarm").map((a) => ({
    region: stack.regionOf(a) ?? "",
    name: String(a.body.alarm_name),
  }));

describe("the alarm-name prefix", () => {
  it("ends in a separator no unit name contains", () => {
    for (const unit of config.units) {
      const prefix = alarmNamePrefix(unit.names.unit);
      expect(prefix.startsWith(unit.names.unit)).toBe(true);
      expect(prefix.slice(unit.names.unit.length)).toMatch(/^[^a-z0-9-]+$/);
    }
  });

  it("lets the key and the topic of each region admit every alarm of the unit there", () => {
    for (const stack of stacks) {
      const patterns = alarmPatterns(stack);
      for (const alarm of alarmsOf(stack)) {
        const carriers = patterns.filter((p) => p.matches(alarm.region, alarm.name));
        expect([...new Set(carriers.map((p) => p.carrier))].sort()).toEqual([
          "aws_kms_key",
          "aws_sns_topic_policy",
        ]);
      }
    }
  });

  it("admits no alarm of another unit, even one whose stack name starts with this one's", () => {
    expect(stacks.map((s) => s.name)).toEqual(["primary", "primary-eu"]);
    expect(runChecks(json)).toEqual([]);
    for (const stack of stacks) {
      const patterns = alarmPatterns(stack);
      for (const other of stacks.filter((s) => s !== stack)) {
        const admitted = alarmsOf(other).filter((a) =>
          patterns.some((p) => p.matches(a.region, a.name)),
        );
        expect(admitted).toEqual([]);
      }
    }
  });

  it("is matched together with this account on the key, as on the topic", () => {
    for (const stack of stacks) {
      for (const doc of stack.dataSources("aws_iam_policy_document")) {
        const cloudwatch = documentStatements(doc.body).filter((s) =>
          s.principals.some((p) => p.identifiers.includes("cloudwatch.amazonaws.com")),
        );
        for (const s of cloudwatch) {
          expect(s.conditions.map((c) => `${c.test} ${c.variable}`)).toEqual([
            "ArnLike aws:SourceArn",
            "StringEquals aws:SourceAccount",
          ]);
          expect(s.conditions[1].values).toEqual([
            expect.stringMatching(/^\$\{aws_sns_topic\.topic_\w+\.owner\}$/),
          ]);
        }
      }
    }
  });
});
