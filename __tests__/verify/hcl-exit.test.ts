/**
 * The exit path off CDKTF: every stack synthesizes as HCL that plain Terraform initializes and
 * validates, offline, against the provider mirror (after the repair of cdktf 0.21's quoting).
 *
 * The Terraform part skips loudly where Terraform or the mirror is missing, unless
 * FANOUT_REQUIRE_PLAN=1.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  HCL_FILE,
  hclStackDirs,
  rebaseLocalStatePath,
  repairCdktfHcl,
  repairHclDir,
  validateStackDir,
  ValidateResult,
} from "../../verify/hcl";
import { synthesize, tempOutdir } from "../../inspect/synth";
import { defaultConfig } from "../support/synth";
import { TERRAFORM_SETUP_TIMEOUT_MS, terraformSuite } from "../support/terraform";

describe("repairCdktfHcl", () => {
  it("escapes the quotes of a JSON string, leaving interpolations alone", () => {
    const raw = 'redrive_policy = "{"deadLetterTargetArn":"${aws_sqs_queue.d.arn}","n":5}"';
    const { text, escapedStrings } = repairCdktfHcl(raw);
    expect(text).toBe(
      'redrive_policy = "{\\"deadLetterTargetArn\\":\\"${aws_sqs_queue.d.arn}\\",\\"n\\":5}"',
    );
    expect(escapedStrings).toBe(1);
  });

  it("keeps quotes inside an interpolation, and valid strings as they are", () => {
    const valid = [
      'name = "fanout-primary-active"',
      'redrive = "${jsonencode({"a" = aws_sqs_queue.d.arn})}"',
      'description = "say \\"hi\\""',
    ].join("\n");
    expect(repairCdktfHcl(valid)).toEqual({
      text: valid,
      escapedStrings: 0,
      unquotedReferences: 0,
    });
  });

  it("unquotes provider and depends_on references", () => {
    const raw = [
      'provider = "aws.us-east-1"',
      "depends_on = [",
      '"aws_sqs_queue_policy.p_1",',
      '"aws_iam_role_policy.q",',
      "]",
      'tags = ["x.y"]',
    ].join("\n");
    const repaired = repairCdktfHcl(raw);
    expect(repaired.text).toBe(
      [
        "provider = aws.us-east-1",
        "depends_on = [",
        "aws_sqs_queue_policy.p_1,",
        "aws_iam_role_policy.q,",
        "]",
        'tags = ["x.y"]',
      ].join("\n"),
    );
    expect(repaired.unquotedReferences).toBe(3);
  });

  it("is idempotent", () => {
    const once = repairCdktfHcl('provider = "aws.x"\na = "{"b":"c"}"').text;
    expect(repairCdktfHcl(once)).toEqual({ text: once, escapedStrings: 0, unquotedReferences: 0 });
  });
});

describe("rebaseLocalStatePath", () => {
  const hcl = [
    "terraform {",
    '  backend "local" {',
    '    path = "../../../terraform.primary.tfstate"',
    "  }",
    "}",
  ].join("\n");

  it("names, from the HCL's directory, the state file the JSON synth names", () => {
    const { text, statePath } = rebaseLocalStatePath(
      hcl,
      "/p/cdktf.out/stacks/primary",
      "/p/cdktf.out/hcl/stacks/primary",
    );
    expect(statePath).toBe("../../../../terraform.primary.tfstate");
    expect(text).toContain('    path = "../../../../terraform.primary.tfstate"\n  }');
  });

  it("is idempotent, and leaves HCL without a local backend alone", () => {
    const dirs = ["/p/cdktf.out/stacks/primary", "/p/cdktf.out/hcl/stacks/primary"] as const;
    const once = rebaseLocalStatePath(hcl, ...dirs).text;
    expect(rebaseLocalStatePath(once, ...dirs).text).toBe(once);
    const s3 = 'terraform {\n  backend "s3" {\n    key = "fanout/primary.tfstate"\n  }\n}';
    expect(rebaseLocalStatePath(s3, ...dirs)).toEqual({ text: s3 });
  });
});

const terraform = terraformSuite("TERRAFORM VALIDATE OF THE HCL");

terraform.describe("the HCL of every stack", () => {
  const config = defaultConfig();
  let outdir: string;
  const results = new Map<string, ValidateResult>();

  beforeAll(async () => {
    terraform.assertAvailable();
    outdir = tempOutdir("hcl");
    synthesize(config, outdir, { hcl: true });
    repairHclDir(outdir);
    await Promise.all(
      hclStackDirs(outdir).map(async (dir) => results.set(dir, await validateStackDir(dir))),
    );
  }, TERRAFORM_SETUP_TIMEOUT_MS);

  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it("is written for every stack as cdk.tf, with its assets beside it", () => {
    const dirs = hclStackDirs(outdir);
    expect(dirs.map((d) => d.split("/").pop())).toEqual(config.units.map((u) => u.stack).sort());
    for (const dir of dirs) {
      expect(existsSync(join(dir, "cdk.tf.json"))).toBe(false);
      const hcl = readFileSync(join(dir, HCL_FILE), "utf8");
      expect(hcl).toMatch(/^resource "aws_sns_topic" /m);
      for (const m of hcl.matchAll(/^\s*filename = "([^"]+)"$/gm)) {
        expect(existsSync(join(dir, m[1]))).toBe(true);
      }
    }
  });

  it("passes terraform validate with no error and no warning", () => {
    for (const [dir, result] of results) {
      const diagnostics = result.diagnostics.map((d) => `${d.severity}: ${d.summary}`);
      expect({ dir, valid: result.valid, diagnostics }).toEqual({
        dir,
        valid: true,
        diagnostics: [],
      });
    }
  });
});
