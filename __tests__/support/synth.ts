/**
 * Test helpers: the project's stacks synthesized through `inspect/synth.ts`, once per test run
 * and configuration (the cache directory comes from jest's global setup, `synth-cache.ts`), and small lookups into
 * their Terraform JSON.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { FanoutConfig, loadConfig } from "../../config/config";
import { StackIndex } from "../../inspect/stack-index";
import { cdktfJsonContext, readStacks, synthesize, tempOutdir } from "../../inspect/synth";
import { StackJson, TerraformJson as StackTerraformJson } from "../../inspect/terraform-json";
import { SYNTH_CACHE_ENV } from "./synth-cache";

/** A synthesized stack: its Terraform JSON as text (for cdktf matchers) and parsed. */
export interface Synthesized {
  readonly text: string;
  readonly json: TerraformJson;
}

/** The Terraform JSON of one of this project's stacks: every section the tests read present. */
export interface TerraformJson extends StackTerraformJson {
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

/** This process's cache when the run has none (a test file run outside jest's global setup). */
const processCache = new Map<string, string>();

/**
 * The synth output directory of `config` (`<dir>/stacks/<stack>/cdk.tf.json`), synthesized once
 * per test run and shared by every suite. Read it; copy it before writing into it.
 */
export function synthOutdir(config: FanoutConfig): string {
  const key = createHash("sha256").update(JSON.stringify(config)).digest("hex").slice(0, 16);
  const cache = process.env[SYNTH_CACHE_ENV];
  if (cache === undefined) {
    const known = processCache.get(key);
    if (known !== undefined) return known;
    const outdir = tempOutdir("test-synth");
    synthesize(config, outdir);
    processCache.set(key, outdir);
    return outdir;
  }
  const outdir = join(cache, key);
  if (existsSync(outdir)) return outdir;
  mkdirSync(cache, { recursive: true });
  const partial = `${outdir}.${process.pid}`;
  synthesize(config, partial);
  try {
    renameSync(partial, outdir);
  } catch {
    rmSync(partial, { recursive: true, force: true }); // another worker was first
  }
  return outdir;
}

/** The stacks of `config` as `cdktf synth` writes them (metadata included), shared per run. */
export function stackJsons(config: FanoutConfig): StackJson[] {
  return readStacks(synthOutdir(config));
}

/** A JSON value with keys sorted and cdktf's `//` metadata removed, as `Testing.synth` gives it. */
function withoutMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutMetadata);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== "//")
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, inner]) => [key, withoutMetadata(inner)]),
  );
}

function synthesized(stacks: readonly StackJson[]): Record<string, Synthesized> {
  return Object.fromEntries(
    stacks.map(({ name, json }) => {
      const text = JSON.stringify(withoutMetadata(json), null, 2);
      return [name, { text, json: JSON.parse(text) as TerraformJson }];
    }),
  );
}

/** Every stack of `config`, keyed by stack name, from the run's shared synthesis. */
export function synthAll(config: FanoutConfig): Record<string, Synthesized> {
  return synthesized(stackJsons(config));
}

/** Every stack of `config` from a synthesis of its own, for tests of synthesis itself. */
export function synthAllFresh(config: FanoutConfig): Record<string, Synthesized> {
  const outdir = tempOutdir("test-synth");
  try {
    synthesize(config, outdir);
    return synthesized(readStacks(outdir));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Resources of one type, by logical id. */
export function resources(json: TerraformJson, type: string): [string, Record<string, unknown>][] {
  return new StackIndex({ name: "", json }).resources(type).map((b) => [b.id, b.body]);
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
  const doc = new StackIndex({ name: "", json }).target(policyAttr, ["json"]);
  if (doc?.type !== "aws_iam_policy_document" || doc.mode !== "data") {
    throw new Error(`not a policy document reference: ${String(policyAttr)}`);
  }
  return doc.body.statement as Record<string, unknown>[];
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
