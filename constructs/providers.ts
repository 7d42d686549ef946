import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformResource } from "cdktf";
import { Construct } from "constructs";

export interface RegionalProvidersProps {
  /** Every region the stack creates resources in. */
  readonly regions: readonly string[];
  /** Tags every resource of every provider carries. */
  readonly defaultTags: Readonly<Record<string, string>>;
}

/**
 * One aliased AWS provider per region (alias = region name, e.g. `aws.us-west-2`), so every
 * resource names the region it lives in and a whole multi-region unit fits one state.
 *
 * How providers reach constructs: the stack builds this once and hands it to the constructs
 * that make up the unit (`UnitQueue`, `LatencyDashboard`, `FanoutAlarms`), which pick the
 * region they build in; a building block given a region's provider takes it as `provider`
 * (`FanoutTopic`, `EncryptedQueue`, `NodejsFunction`); one built around an existing resource
 * builds in that resource's region, with {@link providerOf} (`QueueSubscription` in the
 * topic's, `QueueConsumer` in the queue's, `ProducerApi` in the topic's).
 */
export class RegionalProviders extends Construct {
  private readonly byRegion = new Map<string, AwsProvider>();

  constructor(scope: Construct, id: string, props: RegionalProvidersProps) {
    super(scope, id);
    for (const region of props.regions) {
      this.byRegion.set(
        region,
        new AwsProvider(this, region, {
          region,
          alias: region,
          defaultTags: [{ tags: { ...props.defaultTags } }],
        }),
      );
    }
  }

  /** The provider of `region`; throws for a region the stack was not given. */
  forRegion(region: string): AwsProvider {
    const provider = this.byRegion.get(region);
    if (!provider) {
      throw new Error(
        `No provider for region "${region}"; configured: ${[...this.byRegion.keys()].join(", ")}`,
      );
    }
    return provider;
  }
}

/** The AWS provider a resource was created with; constructs derive regions from it. */
export function providerOf(resource: TerraformResource): AwsProvider {
  const provider = resource.provider;
  if (!(provider instanceof AwsProvider)) {
    throw new Error(`${resource.node.path} has no explicit AWS provider`);
  }
  return provider;
}

/** The region of a resource, from its provider. */
export function regionOf(resource: TerraformResource): string {
  const region = providerOf(resource).region;
  if (region === undefined) throw new Error(`${resource.node.path}: provider has no region`);
  return region;
}
