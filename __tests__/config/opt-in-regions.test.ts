import fc from "fast-check";
import {
  OPT_IN_REGIONS,
  SNS_PRINCIPAL,
  crossRegionDeliveryProblem,
  isOptInRegion,
  regionalSnsPrincipal,
  snsPrincipalsFor,
} from "../../config/opt-in-regions";

const optIn = fc.constantFrom(...OPT_IN_REGIONS);
const byDefault = fc.constantFrom("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1");

describe("opt-in regions", () => {
  it("knows the regions SNS documents as opt-in, and not the older ones", () => {
    expect(isOptInRegion("ap-east-1")).toBe(true);
    expect(isOptInRegion("eu-south-1")).toBe(true);
    expect(isOptInRegion("us-east-1")).toBe(false);
    expect(isOptInRegion("eu-west-1")).toBe(false);
  });

  it("uses the global principal within a region and between regions enabled by default", () => {
    expect(snsPrincipalsFor("us-east-1", "us-east-1")).toEqual([SNS_PRINCIPAL]);
    expect(snsPrincipalsFor("ap-east-1", "ap-east-1")).toEqual([SNS_PRINCIPAL]);
    expect(snsPrincipalsFor("us-east-1", "us-west-2")).toEqual([SNS_PRINCIPAL]);
  });

  it("uses the topic region's principal for deliveries out of an opt-in region", () => {
    expect(snsPrincipalsFor("ap-east-1", "us-east-1")).toEqual(["sns.ap-east-1.amazonaws.com"]);
  });

  it("allows both principals into an opt-in region, where AWS names none", () => {
    expect(snsPrincipalsFor("us-east-1", "eu-south-1")).toEqual([
      SNS_PRINCIPAL,
      "sns.eu-south-1.amazonaws.com",
    ]);
  });

  it("refuses deliveries between two different opt-in regions, and only those", () => {
    fc.assert(
      fc.property(fc.oneof(optIn, byDefault), fc.oneof(optIn, byDefault), (topic, queue) => {
        const refused = crossRegionDeliveryProblem(topic, queue) !== undefined;
        expect(refused).toBe(topic !== queue && isOptInRegion(topic) && isOptInRegion(queue));
      }),
    );
    expect(crossRegionDeliveryProblem("ap-east-1", "eu-south-1")).toBe(
      "SNS does not deliver from one opt-in region to another (ap-east-1 -> eu-south-1)",
    );
  });

  it("always allows the principal SNS sends as from the topic's region", () => {
    fc.assert(
      fc.property(fc.oneof(optIn, byDefault), fc.oneof(optIn, byDefault), (topic, queue) => {
        const principals = snsPrincipalsFor(topic, queue);
        const sender =
          topic !== queue && isOptInRegion(topic) ? regionalSnsPrincipal(topic) : SNS_PRINCIPAL;
        expect(principals).toContain(sender);
      }),
    );
  });
});
