/**
 * The GitHub Actions workflows: they parse, have the structure each one needs, call only npm
 * scripts that exist, pin their actions, get AWS credentials through OIDC only, and pin the
 * Terraform version the project is tested with (`.terraform-version`).
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { SETTINGS } from "../../config/settings";
import { offlinePlanUnavailable } from "../../verify/offline-plan";
import { PROJECT_ROOT } from "../../inspect/synth";

type Json = Record<string, unknown>;
interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Json;
  readonly env?: Json;
  readonly if?: string;
}
interface Job {
  readonly "runs-on"?: string;
  readonly steps?: Step[];
  readonly permissions?: Json;
  readonly environment?: string | Json;
  readonly needs?: string | string[];
  readonly if?: string;
}
interface Workflow {
  readonly name?: string;
  readonly on: Json;
  readonly permissions?: Json;
  readonly jobs: Record<string, Job>;
}

const WORKFLOWS = join(PROJECT_ROOT, ".github", "workflows");
const TERRAFORM_VERSION = readFileSync(join(PROJECT_ROOT, ".terraform-version"), "utf8").trim();
const scripts = (
  JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  }
).scripts;

const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
const workflows: Record<string, Workflow> = Object.fromEntries(
  files.map((f) => [f, parse(readFileSync(join(WORKFLOWS, f), "utf8")) as Workflow]),
);
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps ?? []);
const stepUsing = (job: Job, action: string) =>
  (job.steps ?? []).filter((s) => s.uses?.startsWith(`${action}@`));
const runs = (w: Workflow) =>
  steps(w)
    .map((s) => s.run ?? "")
    .join("\n");

it("has the three workflows", () => {
  expect(files.sort()).toEqual(["deploy.yml", "destroy.yml", "pull-request.yml"]);
});

describe.each(files)("%s", (file) => {
  const workflow = workflows[file];

  it("has a trigger, jobs with a runner and steps, and read-only default permissions", () => {
    expect(Object.keys(workflow.on ?? {}).length).toBeGreaterThan(0);
    expect(Object.keys(workflow.jobs).length).toBeGreaterThan(0);
    for (const job of Object.values(workflow.jobs)) {
      expect(job["runs-on"]).toBe("ubuntu-latest");
      expect(job.steps?.length).toBeGreaterThan(0);
    }
    expect(workflow.permissions).toEqual({ contents: "read" });
  });

  it("pins every action to a commit, with its version in a comment", () => {
    for (const s of steps(workflow).filter((x) => x.uses)) {
      expect(s.uses).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
    }
    const text = readFileSync(join(WORKFLOWS, file), "utf8");
    for (const line of text.split("\n").filter((l) => /^\s*(- )?uses: /.test(l))) {
      expect(line).toMatch(/@[0-9a-f]{40} # v\d+(\.\d+){0,2}$/);
    }
  });

  it("checks out without leaving the token in the git config", () => {
    const checkouts = Object.values(workflow.jobs).flatMap((j) => stepUsing(j, "actions/checkout"));
    expect(checkouts.length).toBeGreaterThan(0);
    for (const s of checkouts) expect(s.with?.["persist-credentials"]).toBe(false);
  });

  it("calls only npm scripts that exist", () => {
    for (const m of runs(workflow).matchAll(/\bnpm run ([\w:.-]+)/g)) {
      expect(Object.keys(scripts)).toContain(m[1]);
    }
  });

  it("runs only scripts of .github/scripts that exist and are executable", () => {
    for (const m of runs(workflow).matchAll(/\.github\/scripts\/([\w.-]+)/g)) {
      const path = join(PROJECT_ROOT, ".github", "scripts", m[1]);
      expect(existsSync(path)).toBe(true);
      expect(statSync(path).mode & 0o111).not.toBe(0);
    }
  });

  it("pins Terraform to .terraform-version, without the wrapper", () => {
    for (const job of Object.values(workflow.jobs)) {
      for (const s of stepUsing(job, "hashicorp/setup-terraform")) {
        expect(String(s.with?.terraform_version)).toBe(TERRAFORM_VERSION);
        expect(s.with?.terraform_wrapper).toBe(false);
      }
    }
  });

  it("gets AWS credentials through OIDC only, with id-token: write on that job", () => {
    expect(readFileSync(join(WORKFLOWS, file), "utf8")).not.toMatch(
      /aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|secrets\./,
    );
    for (const job of Object.values(workflow.jobs)) {
      for (const s of stepUsing(job, "aws-actions/configure-aws-credentials")) {
        expect(job.permissions?.["id-token"]).toBe("write");
        expect(String(s.with?.["role-to-assume"])).toMatch(/^\$\{\{ vars\.AWS_\w+_ROLE_ARN \}\}$/);
      }
    }
  });

  it("reads only known FANOUT_* settings from repository variables", () => {
    const known = Object.values(SETTINGS).map((s) => s.env);
    const text = readFileSync(join(WORKFLOWS, file), "utf8");
    for (const m of text.matchAll(/vars\.(FANOUT_\w+)/g)) expect(known).toContain(m[1]);
  });

  it("sets up Node 22 with the npm cache wherever it installs", () => {
    for (const job of Object.values(workflow.jobs)) {
      if (!(job.steps ?? []).some((s) => s.run === "npm ci")) continue;
      const [node] = stepUsing(job, "actions/setup-node");
      expect(node?.with).toEqual({ "node-version": 22, cache: "npm" });
    }
  });
});

describe("pull-request.yml", () => {
  const w = workflows["pull-request.yml"];
  const job = (name: string) => w.jobs[name];
  const runsOf = (name: string) => (job(name).steps ?? []).map((s) => s.run ?? "");

  it("runs on pull requests", () => {
    expect(Object.keys(w.on)).toEqual(["pull_request"]);
  });

  it("tests with the offline plan required, against a mirror built from the registry", () => {
    const test = job("test").steps ?? [];
    const npmTest = test.find((s) => s.run === "npm test")!;
    expect(npmTest.env).toEqual({ FANOUT_REQUIRE_PLAN: "1" });
    const order = ["npm ci", "npm run synth", ".github/scripts/provider-mirror.sh", "npm test"];
    const at = order.map((cmd) => test.findIndex((s) => s.run?.startsWith(cmd)));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it("synthesizes, writes the review report and posts it as one sticky comment", () => {
    expect(runsOf("review")).toContain("npx cdktf synth");
    expect(runsOf("review").join("\n")).toMatch(/npm run review -- --out cdktf\.out/);
    const [comment] = stepUsing(job("review"), "marocchino/sticky-pull-request-comment");
    expect(comment.with).toEqual({ header: "review-report", path: "review-report.md" });
    expect(job("review").permissions).toEqual({ contents: "read", "pull-requests": "write" });
  });

  it("plans every stack with OIDC credentials and uploads the plans", () => {
    const plan = runsOf("plan").join("\n");
    expect(plan).toMatch(/for dir in cdktf\.out\/stacks\/\*\/; do/);
    expect(plan).toMatch(/terraform -chdir="\$dir" init/);
    expect(plan).toMatch(/terraform -chdir="\$dir" plan .*-out=tfplan/);
    expect(stepUsing(job("plan"), "aws-actions/configure-aws-credentials")).toHaveLength(1);
    const [upload] = stepUsing(job("plan"), "actions/upload-artifact");
    // Plan text only, kept briefly: no saved plan (it holds every value, secrets too), no outputs.
    expect(upload.with?.path).toBe("cdktf.out/stacks/*/plan.txt");
    expect(Number(upload.with?.["retention-days"])).toBeLessThanOrEqual(3);
    for (const u of Object.values(w.jobs).flatMap((j) => stepUsing(j, "actions/upload-artifact"))) {
      expect(String(u.with?.path)).not.toMatch(/tfplan|outputs\.json/);
    }
    const settings = (job("plan").steps ?? []).find(
      (s) => s.run === ".github/scripts/fanout-env.sh",
    );
    expect(Object.keys(settings?.env ?? {})).toEqual(
      expect.arrayContaining([
        "VAR_FANOUT_STATE_BUCKET",
        "VAR_FANOUT_STATE_KEY_PREFIX",
        "VAR_FANOUT_STATE_REGION",
        "VAR_FANOUT_STATE_LOCKING",
      ]),
    );
  });
});

describe("plan role and repository variables", () => {
  it("documents the pull-request plan role as read-only on one state prefix", () => {
    const header = readFileSync(join(WORKFLOWS, "pull-request.yml"), "utf8");
    expect(header).toMatch(
      /AWS_PLAN_ROLE_ARN .*only for this repository's pull_request OIDC tokens/,
    );
    expect(header).toMatch(/s3:GetObject on <FANOUT_STATE_KEY_PREFIX>\/\*/);
    expect(header).toMatch(/No write anywhere, no lock/);
  });

  it("refuses a repository variable with a line break, which would set other variables", () => {
    const script = join(PROJECT_ROOT, ".github", "scripts", "fanout-env.sh");
    const dir = mkdtempSync(join(tmpdir(), "fanout-env-"));
    const githubEnv = join(dir, "env");
    writeFileSync(githubEnv, "");
    const run = (value: string) =>
      spawnSync("bash", [script], {
        env: { PATH: process.env.PATH, GITHUB_ENV: githubEnv, VAR_FANOUT_PREFIX: value },
        encoding: "utf8",
      });
    const bad = run("fanout\nAWS_REGION=evil");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe(
      "FANOUT_PREFIX: the repository variable holds a line break; one line only\n",
    );
    expect(readFileSync(githubEnv, "utf8")).toBe("");
    const good = run("fanout");
    expect(good.status).toBe(0);
    expect(readFileSync(githubEnv, "utf8")).toBe("FANOUT_PREFIX=fanout\n");
  });

  it("lets Dependabot keep the pinned actions current", () => {
    const config = parse(readFileSync(join(PROJECT_ROOT, ".github", "dependabot.yml"), "utf8")) as {
      version: number;
      updates: { "package-ecosystem": string; directory: string }[];
    };
    expect(config.version).toBe(2);
    expect(config.updates).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ "package-ecosystem": "github-actions", directory: "/" }),
      ]),
    );
  });
});

describe("deploy.yml", () => {
  const w = workflows["deploy.yml"];
  const deploy = w.jobs.deploy;

  it("runs on pushes to main, one at a time, behind the production environment", () => {
    expect(w.on).toEqual({ push: { branches: ["main"] } });
    expect(deploy.environment).toBe("production");
    expect((w as unknown as { concurrency: Json }).concurrency).toEqual({
      group: "production",
      "cancel-in-progress": false,
    });
  });

  it("checks, deploys primary and secondary, and uploads outputs.json", () => {
    const commands = (deploy.steps ?? []).map((s) => s.run ?? "");
    expect(commands).toContain("npm run check");
    expect(commands).toContain(
      "npx cdktf deploy primary secondary --auto-approve --outputs-file outputs.json",
    );
    const [upload] = stepUsing(deploy, "actions/upload-artifact");
    expect(upload.with?.path).toBe("outputs.json");
  });
});

describe("destroy.yml", () => {
  const w = workflows["destroy.yml"];

  it("runs on manual dispatch only, with a required confirmation input", () => {
    expect(Object.keys(w.on)).toEqual(["workflow_dispatch"]);
    const inputs = (w.on.workflow_dispatch as { inputs: Record<string, Json> }).inputs;
    expect(inputs.confirm).toMatchObject({ required: true, type: "string" });
  });

  it("destroys only after the confirmation equals destroy, behind the production environment", () => {
    const confirm = (w.jobs.confirm.steps ?? []).map((s) => s.run ?? "").join("\n");
    expect(confirm).toContain('if [ "$CONFIRM" != "destroy" ]; then');
    expect(w.jobs.confirm.steps?.[0].env?.CONFIRM).toBe("${{ inputs.confirm }}");
    expect(w.jobs.destroy.needs).toBe("confirm");
    expect(w.jobs.destroy.environment).toBe("production");
    expect(runs(w)).toMatch(/npx cdktf destroy "\$\{stacks\[@\]\}" --auto-approve/);
    expect(readFileSync(join(WORKFLOWS, "destroy.yml"), "utf8")).not.toMatch(
      /run: .*\$\{\{ inputs/,
    );
  });
});

describe(".terraform-version", () => {
  it("is one exact Terraform version", () => {
    expect(TERRAFORM_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
  });

  const unavailable = offlinePlanUnavailable();
  (unavailable?.startsWith("terraform") ? it.skip : it)(
    "names the series of the Terraform the tests run here",
    () => {
      const local = (
        JSON.parse(execFileSync("terraform", ["version", "-json"], { encoding: "utf8" })) as {
          terraform_version: string;
        }
      ).terraform_version;
      const series = (v: string) => v.split(".").slice(0, 2).join(".");
      expect(series(local)).toBe(series(TERRAFORM_VERSION));
    },
  );
});
