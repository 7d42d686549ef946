import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultConfig, synthAll } from "../../__tests__/support/synth";
import { OutputsFile } from "../../cli/outputs";
import { ApplyProgress } from "../cdktf-output";
import {
  applyEnv,
  LOCAL_OVERRIDE_FILE,
  localOverride,
  localToolEnv,
  PROVIDER_ENDPOINT_SERVICES,
  writeLocalOverrides,
} from "../deployment";
import { COVERAGE, uncoveredTypes } from "../inventory";
import { localLayout } from "../layout";
import { localOutputs } from "../outputs";

const stacks = synthAll(defaultConfig());
const primary = stacks.primary.json;
const endpoints = { "us-east-1": "http://127.0.0.1:4001", "us-west-2": "http://127.0.0.1:4002" };

describe("localOverride", () => {
  const override = localOverride(primary, endpoints, "/state/terraform.primary.tfstate") as {
    terraform: { backend: { local: { path: string } } };
    provider: { aws: Record<string, unknown>[] };
    resource: { aws_lambda_event_source_mapping: Record<string, { enabled: boolean }> };
  };

  it("points every aliased provider at its own region's endpoint, for every service the stacks use", () => {
    expect(override.provider.aws.map((p) => p.alias)).toEqual(["us-east-1", "us-west-2"]);
    for (const provider of override.provider.aws) {
      const url = endpoints[provider.alias as keyof typeof endpoints];
      const block = (provider.endpoints as Record<string, string>[])[0];
      expect(Object.keys(block).sort()).toEqual([...PROVIDER_ENDPOINT_SERVICES].sort());
      expect(new Set(Object.values(block))).toEqual(new Set([url]));
      expect(provider).toMatchObject({ skip_credentials_validation: true, access_key: "local" });
    }
  });

  it("disables every event source mapping in the emulator, and only those", () => {
    const mappings = Object.keys(primary.resource.aws_lambda_event_source_mapping);
    expect(mappings.length).toBe(2);
    expect(override.resource.aws_lambda_event_source_mapping).toEqual(
      Object.fromEntries(mappings.map((m) => [m, { enabled: false }])),
    );
    expect(Object.keys(override.resource)).toEqual(["aws_lambda_event_source_mapping"]);
  });

  it("keeps state in the local deployment's directory", () => {
    expect(override.terraform.backend.local.path).toBe("/state/terraform.primary.tfstate");
  });

  it("throws when a region has no endpoint", () => {
    expect(() => localOverride(primary, { "us-east-1": endpoints["us-east-1"] }, "s")).toThrow(
      "no local endpoint for region us-west-2 (have: us-east-1)",
    );
  });

  it("writes the override beside each stack and leaves the product's JSON as synthesized", () => {
    const layout = localLayout(mkdtempSync(join(tmpdir(), "fanout-override-")));
    const manifest: Record<string, unknown> = {};
    for (const [name, synthesized] of Object.entries(stacks)) {
      mkdirSync(layout.stackDir(name), { recursive: true });
      writeFileSync(join(layout.stackDir(name), "cdk.tf.json"), synthesized.text);
      manifest[name] = {};
    }
    writeFileSync(join(layout.synthDir, "manifest.json"), JSON.stringify({ stacks: manifest }));
    expect(writeLocalOverrides(layout, endpoints)).toEqual(["primary", "secondary"]);
    for (const [name, synthesized] of Object.entries(stacks)) {
      expect(readFileSync(join(layout.stackDir(name), "cdk.tf.json"), "utf8")).toBe(
        synthesized.text,
      );
      const written = JSON.parse(
        readFileSync(join(layout.stackDir(name), LOCAL_OVERRIDE_FILE), "utf8"),
      );
      expect(written.terraform.backend.local.path).toBe(
        join(layout.dir, `terraform.${name}.tfstate`),
      );
    }
  });
});

describe("localToolEnv", () => {
  it("forces local state and dummy credentials, and installs the provider from the mirror", () => {
    const layout = localLayout(mkdtempSync(join(tmpdir(), "fanout-env-")));
    const env = localToolEnv(layout, {
      PATH: "/bin",
      FANOUT_STATE_BUCKET: "my-bucket",
      FANOUT_BATCH_SIZE: "5",
      AWS_PROFILE: "prod",
      FANOUT_PROVIDER_MIRROR: "/mirror",
    });
    expect(env).toMatchObject({
      FANOUT_STATE_BUCKET: "",
      FANOUT_BATCH_SIZE: "5",
      AWS_ACCESS_KEY_ID: "local",
    });
    expect(env.AWS_PROFILE).toBeUndefined();
    expect(env.TF_CLI_CONFIG_FILE).toBe(layout.terraformRc);
    expect(readFileSync(layout.terraformRc, "utf8")).toContain('path    = "/mirror"');
  });
});

describe("applyEnv", () => {
  it("skips the refresh on destroy only, keeping arguments the caller gave", () => {
    const env = { PATH: "/bin" };
    expect(applyEnv("deploy", env)).toBe(env);
    expect(applyEnv("destroy", env)).toEqual({
      PATH: "/bin",
      TF_CLI_ARGS_destroy: "-refresh=false",
    });
    expect(applyEnv("destroy", { TF_CLI_ARGS_destroy: "-lock=false" }).TF_CLI_ARGS_destroy).toBe(
      "-lock=false -refresh=false",
    );
  });
});

describe("ApplyProgress", () => {
  it("counts completed resources against each stack's plan, and notes stacks without changes", () => {
    const progress = new ApplyProgress(["primary", "secondary"]);
    // As cdktf relays Terraform: the stack name starts a block, indented lines continue it, and
    // its spinner's control sequences stay in the pipe.
    const lines = [
      "\x1b[2K\x1b[1A\x1b[2K\x1b[Gprimary  aws_sqs_queue.dlq (active/queue/dlq): Creating...",
      "           Plan: 80 to add, 0 to change, 0 to destroy.",
      "secondary  No changes. Your infrastructure matches the configuration.",
      "\x1b[2K\x1b[Gprimary  aws_sqs_queue.active_queue_dlq_1234: Creation complete after 25s [id=x]",
      "         aws_sns_topic.topic_topic_5678: Creation complete after 0s [id=y]",
      "2 Stacks deploying     0 Stacks done     0 Stacks waiting",
    ];
    expect(lines.map((l) => progress.take(l))).toEqual([false, true, true, true, true, false]);
    expect(progress.summary()).toBe("primary 2/80, secondary no changes");
    expect(progress.noChanges()).toEqual(["secondary"]);
  });
});

describe("localOutputs", () => {
  it("serves the APIs locally and names the region endpoints and the control API", () => {
    const deployed = {
      primary: {
        region: "us-east-1",
        api_url: "https://x.execute-api.us-east-1.amazonaws.com/v1",
        topic_arn: "t",
      },
    };
    const outputs = localOutputs(
      deployed,
      { primary: { region: "us-east-1", url: "http://127.0.0.1:5001/v1" } },
      { controlUrl: "http://127.0.0.1:5000", endpoints },
    );
    expect(outputs.primary).toEqual({
      region: "us-east-1",
      topic_arn: "t",
      api_url: "http://127.0.0.1:5001/v1",
      messages_url: "http://127.0.0.1:5001/v1/messages",
      health_url: "http://127.0.0.1:5001/v1/health",
    });
    const file = OutputsFile.parse("o.json", JSON.stringify(outputs));
    expect(file.names()).toEqual(["primary"]);
    expect(file.endpoints).toEqual(endpoints);
    expect(file.local).toEqual({ controlUrl: "http://127.0.0.1:5000" });
  });
});

describe("inventory coverage", () => {
  it("has a listing for every resource type the stacks create", () => {
    const types = Object.values(stacks).flatMap((s) => Object.keys(s.json.resource));
    expect(uncoveredTypes(types)).toEqual([]);
  });

  it("lists the idempotency store's table (and its replicas, tables of their regions)", () => {
    const store = synthAll(
      defaultConfig({ FANOUT_CONSUMER_MODE: "active-standby", FANOUT_IDEMPOTENCY_STORE: "true" }),
    );
    const types = Object.values(store).flatMap((s) => Object.keys(s.json.resource));
    expect(types).toContain("aws_dynamodb_table");
    expect(uncoveredTypes(types)).toEqual([]);
    expect(COVERAGE.aws_dynamodb_table).toBe("dynamodb table");
  });

  it("names a type it cannot list", () => {
    expect(uncoveredTypes(["aws_sqs_queue", "aws_s3_bucket"])).toEqual(["aws_s3_bucket"]);
    expect(COVERAGE.aws_sqs_queue).toBe("sqs queue");
  });
});
