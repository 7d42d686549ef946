/**
 * The AWS regions the pinned provider knows, by partition: the one list of regions in this
 * project.
 *
 * Source: hashicorp/aws 5.100.0 (the version `@cdktf/provider-aws` 20.1.0 pins) refuses a
 * `region` outside `endpoints.DefaultPartitions()` of hashicorp/aws-sdk-go-base
 * v2.0.0-beta.65 (`validation.SupportedRegion`, unless `skip_region_validation`). This table is
 * that package's `endpoints/endpoints_gen.go`, which is generated from the AWS SDKs' endpoint
 * partitions; a test checks it against the partitions data of the installed AWS SDK for
 * JavaScript (`@aws-sdk/core`). Regions AWS opened later (`ap-southeast-6`) need a newer
 * provider first.
 */
import { closest } from "./suggest";

/** Partition id -> the regions hashicorp/aws 5.100.0 accepts in it. */
export const AWS_PARTITIONS = {
  aws: [
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
  ],
  "aws-cn": ["cn-north-1", "cn-northwest-1"],
  "aws-eusc": ["eusc-de-east-1"],
  "aws-iso": ["us-iso-east-1", "us-iso-west-1"],
  "aws-iso-b": ["us-isob-east-1"],
  "aws-iso-e": ["eu-isoe-west-1"],
  "aws-iso-f": ["us-isof-east-1", "us-isof-south-1"],
  "aws-us-gov": ["us-gov-east-1", "us-gov-west-1"],
} as const satisfies Record<string, readonly string[]>;

export type PartitionId = keyof typeof AWS_PARTITIONS;

/** Every known region, in table order. */
export const KNOWN_REGIONS: readonly string[] = Object.values(AWS_PARTITIONS).flat();

/** The partition of a known region, or `undefined` for a region the provider does not know. */
export function partitionOf(region: string): PartitionId | undefined {
  for (const [id, regions] of Object.entries(AWS_PARTITIONS) as [
    PartitionId,
    readonly string[],
  ][]) {
    if (regions.includes(region)) return id;
  }
  return undefined;
}

/** The provider these regions are from, for messages. */
export const PROVIDER_NAME = "hashicorp/aws 5.100.0";

/** Why `region` is not a region the pinned provider accepts, or `undefined` when it is. */
export function regionProblem(region: string): string | undefined {
  if (partitionOf(region) !== undefined) return undefined;
  const near = closest(region, KNOWN_REGIONS);
  return `is not a region ${PROVIDER_NAME} knows (closest: ${near})`;
}
