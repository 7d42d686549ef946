import { defaultConfig, resources, synthAll } from "../support/synth";

const THREE = "primary=us-east-1,secondary=us-west-2,tertiary=eu-west-1";
const config = defaultConfig({ FANOUT_STACKS: THREE });
const stacks = synthAll(config);

describe("three configured regions", () => {
  it("synthesizes three stacks", () => {
    expect(Object.keys(stacks)).toEqual(["primary", "secondary", "tertiary"]);
  });

  it.each(config.units.map((u) => [u.stack, u] as const))(
    "gives %s one active and two replica queues, all fed from its home region",
    (name, unit) => {
      const { json } = stacks[name];
      const queues = resources(json, "aws_sqs_queue").map(([, q]) => q);
      const fed = queues.filter((q) => !String(q.name).endsWith("dlq"));
      expect(fed.map((q) => [q.name, q.provider]).sort()).toEqual(
        [
          [`fanout-${name}-active`, `aws.${unit.homeRegion}`],
          ...unit.replicaRegions.map((r) => [`fanout-${name}-replica-${r}`, `aws.${r}`]),
        ].sort(),
      );
      expect(unit.replicaRegions).toHaveLength(2);
      const subs = resources(json, "aws_sns_topic_subscription").map(([, s]) => s);
      expect(subs).toHaveLength(3);
      for (const s of subs) expect(s.provider).toBe(`aws.${unit.homeRegion}`);
      expect(json.provider.aws.map((p) => p.alias)).toEqual(config.regions);
    },
  );
});
