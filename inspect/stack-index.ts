/**
 * An indexed synthesized stack: blocks by address and type, providers and regions, references
 * between blocks, policy statements and redrive policies. The policy checks, the review report
 * and the tests read stacks through it.
 */
import {
  asList,
  Block,
  Json,
  referencesIn,
  soleReference,
  StackJson,
  TerraformJson,
} from "./terraform-json";
import { documentStatements, jsonPolicyStatements, PolicySource } from "./statements";

/** A policy as found on a block: where it is written, and what it holds. */
export interface FoundPolicy {
  /** The block whose attribute holds it: the block itself, or a policy resource attached to it. */
  readonly at: Block;
  readonly source: PolicySource;
}

/** The policy resource type that attaches to a block type, by which attribute and reference. */
const ATTACHED_POLICIES: Readonly<
  Record<string, { readonly type: string; readonly attribute: string; readonly via: string[] }>
> = {
  aws_sqs_queue: { type: "aws_sqs_queue_policy", attribute: "queue_url", via: ["url", "id"] },
  aws_sns_topic: { type: "aws_sns_topic_policy", attribute: "arn", via: ["arn", "id"] },
  aws_iam_role: { type: "aws_iam_role_policy", attribute: "role", via: ["name", "id"] },
};

/** A redrive policy read: the block it dead-letters into and after how many receives. */
export interface Redrive {
  readonly target?: Block;
  readonly receives?: number;
}

/** An indexed stack: the lookups the checks, the review and the tests need, computed once. */
export class StackIndex {
  readonly name: string;
  readonly json: TerraformJson;
  readonly blocks: readonly Block[];
  private readonly byAddress = new Map<string, Block>();
  /** Provider key (`aws.us-east-1`, or `aws` for the default) -> region. */
  private readonly providerRegions = new Map<string, string>();

  constructor(stack: StackJson) {
    this.name = stack.name;
    this.json = stack.json;
    const blocks: Block[] = [];
    for (const [mode, section] of [
      ["managed", stack.json.resource],
      ["data", stack.json.data],
    ] as const) {
      for (const [type, byId] of Object.entries(section ?? {})) {
        for (const [id, body] of Object.entries(byId)) {
          const address = mode === "data" ? `data.${type}.${id}` : `${type}.${id}`;
          const block: Block = { mode, type, id, address, body };
          blocks.push(block);
          this.byAddress.set(address, block);
        }
      }
    }
    this.blocks = blocks;
    for (const [name, configs] of Object.entries(stack.json.provider ?? {})) {
      for (const config of asList<Json>(configs)) {
        const key = config.alias === undefined ? name : `${name}.${String(config.alias)}`;
        this.providerRegions.set(
          key,
          typeof config.region === "string" ? config.region : String(config.alias ?? ""),
        );
      }
    }
  }

  /** Managed resources (optionally of one type). */
  resources(type?: string): Block[] {
    return this.blocks.filter(
      (b) => b.mode === "managed" && (type === undefined || b.type === type),
    );
  }

  /** Data sources (optionally of one type). */
  dataSources(type?: string): Block[] {
    return this.blocks.filter((b) => b.mode === "data" && (type === undefined || b.type === type));
  }

  block(address: string): Block | undefined {
    return this.byAddress.get(address);
  }

  /** The block a value refers to when it is exactly one reference (`${aws_x.y.arn}`). */
  target(value: unknown, attributes?: readonly string[]): Block | undefined {
    const ref = soleReference(value);
    if (!ref) return undefined;
    if (attributes && !attributes.includes(ref.attribute ?? "")) return undefined;
    return this.byAddress.get(ref.address);
  }

  /** The provider key of a block: its `provider` attribute, or the default `<name>` provider. */
  providerKey(block: Block): string {
    return typeof block.body.provider === "string"
      ? block.body.provider
      : block.type.slice(0, block.type.indexOf("_"));
  }

  /** Region of a block, from its provider; `undefined` when the provider is unknown. */
  regionOf(block: Block): string | undefined {
    return this.providerRegions.get(this.providerKey(block));
  }

  /** Every configured region, in provider order. */
  regions(): string[] {
    return [...new Set(this.providerRegions.values())];
  }

  /** Reads a `policy`-like attribute: a document reference, inline JSON, or something opaque. */
  policy(value: unknown): PolicySource | undefined {
    if (value === undefined || value === null) return undefined;
    const doc = this.target(value, ["json", "minified_json"]);
    if (doc && doc.type === "aws_iam_policy_document" && doc.mode === "data") {
      return { kind: "document", address: doc.address, statements: documentStatements(doc.body) };
    }
    const text = typeof value === "string" ? value : JSON.stringify(value);
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === "object" && parsed !== null && "Statement" in parsed) {
        return { kind: "inline", statements: jsonPolicyStatements(parsed as Json) };
      }
    } catch {
      // not JSON: an expression such as jsonencode(...)
    }
    return { kind: "opaque", text };
  }

  /**
   * Every policy of a block: its own `policy` attribute, then each policy resource attached to
   * it (`aws_sqs_queue_policy` of a queue, `aws_sns_topic_policy` of a topic, `aws_iam_role_policy`
   * of a role).
   */
  policiesOf(block: Block): FoundPolicy[] {
    const list: FoundPolicy[] = [];
    const own = this.policy(block.body.policy);
    if (own) list.push({ at: block, source: own });
    const attached = ATTACHED_POLICIES[block.type];
    if (!attached) return list;
    for (const p of this.resources(attached.type)) {
      const target = this.target(p.body[attached.attribute], attached.via);
      const source = this.policy(p.body.policy);
      if (target?.address === block.address && source) list.push({ at: p, source });
    }
    return list;
  }

  /**
   * The target of a redrive policy (a JSON string whose `deadLetterTargetArn` is a reference to
   * an `arn`) and its `maxReceiveCount`; empty when the value is no such policy.
   */
  redrive(value: unknown): Redrive {
    if (typeof value !== "string") return {};
    try {
      const parsed = JSON.parse(value) as {
        deadLetterTargetArn?: unknown;
        maxReceiveCount?: unknown;
      };
      return {
        target: this.target(parsed.deadLetterTargetArn, ["arn"]),
        receives: typeof parsed.maxReceiveCount === "number" ? parsed.maxReceiveCount : undefined,
      };
    } catch {
      return {};
    }
  }

  /**
   * Addresses of the queues some queue or subscription dead-letters into. A queue that redrives
   * to itself does not become a dead-letter queue by it.
   */
  deadLetterQueues(): Set<string> {
    const dlqs = new Set<string>();
    for (const b of [
      ...this.resources("aws_sqs_queue"),
      ...this.resources("aws_sns_topic_subscription"),
    ]) {
      const { target } = this.redrive(b.body.redrive_policy);
      if (target?.type === "aws_sqs_queue" && target.address !== b.address)
        dlqs.add(target.address);
    }
    return dlqs;
  }

  /** Home region: where the topics with subscriptions live (else the first provider's). */
  homeRegion(): string {
    const fanoutTopics = this.resources("aws_sns_topic_subscription")
      .map((s) => this.target(s.body.topic_arn, ["arn", "id"]))
      .filter((t): t is Block => t?.type === "aws_sns_topic");
    const regions = [...new Set(fanoutTopics.map((t) => this.regionOf(t) ?? "unknown"))];
    return regions[0] ?? this.regions()[0] ?? "unknown";
  }

  /** Every region, the home region first, then in provider order. */
  regionsHomeFirst(): string[] {
    const home = this.homeRegion();
    return [home, ...this.regions().filter((r) => r !== home)];
  }

  /**
   * How this stack's synthesized JSON names its own account: `${aws_sns_topic.<id>.owner}` of
   * every topic, and `${data.aws_caller_identity.<id>.account_id}` of any caller identity. A
   * stack deploys into one account (its providers differ by region only), so each of these is
   * that account; a literal account id cannot be told from another account's.
   */
  ownAccounts(): Set<string> {
    return new Set([
      ...this.resources("aws_sns_topic").map((t) => `\${${t.address}.owner}`),
      ...this.dataSources("aws_caller_identity").map((d) => `\${${d.address}.account_id}`),
    ]);
  }

  /** Blocks (resources and data sources) whose body references `address`. */
  referrers(address: string): { block: Block; attribute: string }[] {
    const found: { block: Block; attribute: string }[] = [];
    for (const block of this.blocks) {
      for (const [attribute, value] of Object.entries(block.body)) {
        if (attribute === "//" || attribute === "depends_on") continue;
        if (referencesIn(value).some((r) => r.address === address)) {
          found.push({ block, attribute });
        }
      }
    }
    return found;
  }
}
