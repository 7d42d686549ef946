import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";
import type { FanoutConfig } from "../config/config";
import { regionOf } from "./providers";

/** Partition key of Powertools' DynamoDB persistence layer (its `keyAttr` default). */
export const IDEMPOTENCY_KEY_ATTRIBUTE = "id";

/** Attribute Powertools writes each item's expiry to, in epoch seconds (its `expiryAttr`). */
export const IDEMPOTENCY_TTL_ATTRIBUTE = "expiration";

/** Margin of an item's expiry over the longest queue retention: clocks, time in the consumer. */
export const IDEMPOTENCY_EXPIRY_MARGIN_SECONDS = 86_400;

/**
 * Actions Powertools' DynamoDB persistence layer calls: a conditional put of the in-progress
 * mark, a consistent get when the put's answer lacks the item, an update to completed, a delete
 * when the work failed.
 */
export const IDEMPOTENCY_TABLE_ACTIONS = [
  "dynamodb:PutItem",
  "dynamodb:GetItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
];

/** Physical name of the idempotency table of unit `<prefix>-<stack>`, the same in every region. */
export function idempotencyTableName(unitName: string): string {
  return `${unitName}-idempotency`;
}

/**
 * How long a processed message stays marked, in seconds: the longest retention of any queue of
 * the unit (dead-letter queues included, since a message redriven from one comes back) plus
 * {@link IDEMPOTENCY_EXPIRY_MARGIN_SECONDS}. A copy still waiting in any queue is thus still
 * recognised when a consumer receives it. Defaults: 14 days + 1 day = 15 days.
 */
export function idempotencyExpirySeconds(queues: FanoutConfig["queues"]): number {
  const longest = Math.max(
    queues.activeRetentionSeconds,
    queues.replicaRetentionSeconds,
    queues.deadLetterRetentionSeconds,
  );
  return longest + IDEMPOTENCY_EXPIRY_MARGIN_SECONDS;
}

export interface IdempotencyTableProps {
  /** Provider of the unit's home region, which creates the table and its replicas. */
  readonly provider: AwsProvider;
  /** Physical name, shared by every replica. */
  readonly name: string;
  /** The unit's other regions: one replica in each. */
  readonly replicaRegions: readonly string[];
  /** How long the consumers keep a message marked, in seconds; see {@link idempotencyExpirySeconds}. */
  readonly expiresAfterSeconds: number;
}

/**
 * The idempotency store of one fan-out unit: a DynamoDB global table (version 2019.11.21) in the
 * home region with a replica in every other region of the unit, each consumer using the copy in
 * its own region. On-demand billing, encrypted with the AWS-managed `aws/dynamodb` key in every
 * region, point-in-time recovery on every copy, items expiring by TTL. Streams carry new and old
 * images because replication requires them.
 *
 * Deletion protection stays off: the table holds only marks that expire within days, losing
 * them costs at most some repeated processing (what the unit did without a store), and
 * `cdktf destroy` must leave nothing behind.
 */
export class IdempotencyTable extends Construct {
  /** The table, with its replicas. */
  public readonly table: DynamodbTable;
  /** Physical name of the table and every replica. */
  public readonly name: string;
  /** How long a message stays marked, in seconds. */
  public readonly expiresAfterSeconds: number;

  private readonly homeRegion: string;
  private readonly replicaRegions: readonly string[];

  constructor(scope: Construct, id: string, props: IdempotencyTableProps) {
    super(scope, id);
    this.name = props.name;
    this.expiresAfterSeconds = props.expiresAfterSeconds;
    this.replicaRegions = [...props.replicaRegions];
    this.table = new DynamodbTable(this, "table", {
      provider: props.provider,
      name: props.name,
      billingMode: "PAY_PER_REQUEST",
      hashKey: IDEMPOTENCY_KEY_ATTRIBUTE,
      attribute: [{ name: IDEMPOTENCY_KEY_ATTRIBUTE, type: "S" }],
      ttl: { attributeName: IDEMPOTENCY_TTL_ATTRIBUTE, enabled: true },
      serverSideEncryption: { enabled: true },
      pointInTimeRecovery: { enabled: true },
      deletionProtectionEnabled: false,
      streamEnabled: true,
      streamViewType: "NEW_AND_OLD_IMAGES",
      replica: this.replicaRegions.map((regionName) => ({
        regionName,
        pointInTimeRecovery: true,
        propagateTags: true,
      })),
    });
    this.homeRegion = regionOf(this.table);
    if (this.replicaRegions.includes(this.homeRegion)) {
      throw new Error(
        `IdempotencyTable ${props.name}: replica region ${this.homeRegion} is the home region; allowed: the unit's other regions`,
      );
    }
  }

  /**
   * ARN of the table's copy in `region`: the table's own in the home region, a replica's
   * elsewhere (read from the replica blocks, known after apply).
   */
  arnIn(region: string): string {
    if (region === this.homeRegion) return this.table.arn;
    if (!this.replicaRegions.includes(region)) {
      throw new Error(
        `IdempotencyTable ${this.name}: no replica in ${region}; replicas: ${this.replicaRegions.join(", ")}`,
      );
    }
    return `\${[for r in ${this.table.fqn}.replica : r.arn if r.region_name == "${region}"][0]}`;
  }
}
