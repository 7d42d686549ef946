/** Test helpers: synthesize stacks in memory and look into their Terraform JSON. */
import { Testing } from "cdktf";
import { FanoutConfig, loadConfig } from "../../config/config";
import { createStacks } from "../../stacks/fanout-stack";
import { cdktfJsonContext } from "../../verify/synth";

/** A synthesized stack: its Terraform JSON as text (for cdktf matchers) and parsed. */
export interface Synthesized {
  readonly text: string;
  readonly json: TerraformJson;
}

export interface TerraformJson {
  terraform: Record<string, unknown>;
  provider: { aws: Record<string, unknown>[] };
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  output: Record<string, { value: unknown; description?: string }>;
}

/** The project's default configuration (cdktf.json), with optional env overrides. */
export function defaultConfig(env: Record<string, string> = {}): FanoutConfig {
  return loadConfig({ context: cdktfJsonContext(), env });
}

/** Synthesizes every stack of `config`, keyed by stack name. */
export function synthAll(config: FanoutConfig): Record<string, Synthesized> {
  const app = Testing.app();
  return Object.fromEntries(
    createStacks(app, config).map((stack) => {
      const text = Testing.synth(stack);
      return [stack.node.id, { text, json: JSON.parse(text) as TerraformJson }];
    }),
  );
}

/** Resources of one type, by logical id. */
export function resources(json: TerraformJson, type: string): [string, Record<string, unknown>][] {
  return Object.entries(json.resource[type] ?? {});
}

/** The single resource of `type` whose `key` equals `value`; fails the test otherwise. */
export function resourceWhere(
  json: TerraformJson,
  type: string,
  key: string,
  value: unknown,
): [string, Record<string, unknown>] {
  const found = resources(json, type).filter(([, r]) => r[key] === value);
  if (found.length !== 1) {
    throw new Error(`expected one ${type} with ${key}=${String(value)}, found ${found.length}`);
  }
  return found[0];
}

/** `${type.id.attr}`: how Terraform JSON references an attribute of a resource. */
export const ref = (type: string, id: string, attr: string) => `\${${type}.${id}.${attr}}`;

/** Policy-document data sources, by logical id. */
export function policyDocuments(json: TerraformJson): Record<string, Record<string, unknown>> {
  return json.data?.aws_iam_policy_document ?? {};
}

/** The statements of the policy document a `policy` attribute points to. */
export function statementsOf(json: TerraformJson, policyAttr: unknown): Record<string, unknown>[] {
  const m = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(String(policyAttr));
  if (!m) throw new Error(`not a policy document reference: ${String(policyAttr)}`);
  return policyDocuments(json)[m[1]].statement as Record<string, unknown>[];
}

/**
 * The JSON with values that change without the infrastructure changing (provider and cdktf
 * versions, asset hashes) replaced by placeholders, for snapshots.
 */
export function normalized(json: TerraformJson): unknown {
  const text = JSON.stringify(json, null, 2)
    .replace(/"version": "\d+\.\d+\.\d+"/g, '"version": "<version>"')
    .replace(/[0-9A-F]{32}/g, "<asset-hash>");
  return JSON.parse(text);
}
