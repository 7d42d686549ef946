import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, AssetType, TerraformAsset, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { BUNDLE_FILE, packageLambda } from "./bundling";
import {
  FUNCTION_ARCHITECTURE,
  FUNCTION_MEMORY_MB,
  FUNCTION_RUNTIME,
  FUNCTION_TIMEOUT_SECONDS,
  LOG_RETENTION_DAYS,
} from "./defaults";
import { policyDocument } from "./policy";

export interface NodejsFunctionProps {
  /** Provider of the region the function, and its log group, live in. */
  readonly provider: AwsProvider;
  /** Physical name of the function; its role carries the same name. */
  readonly functionName: string;
  /** TypeScript entry exporting `handler`, relative to the project root (`lambdas/x/index.ts`). */
  readonly entry: string;
  /** One line saying what the function does. */
  readonly description: string;
  /**
   * Environment variables; `NODE_OPTIONS=--enable-source-maps` is always added.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Timeout, in seconds.
   * @default - 30 seconds
   */
  readonly timeoutSeconds?: number;
  /**
   * Memory, in MB.
   * @default - 256 MB
   */
  readonly memoryMb?: number;
  /**
   * Retention of the function's log group, in days.
   * @default - 14 days
   */
  readonly logRetentionDays?: number;
}

/**
 * Directory of a synth output that holds the deployment packages the assets copy: inside the
 * output, so whoever removes the output removes them, and nothing is left in the system's
 * temporary directory.
 */
export const PACKAGES_DIR = "bundles";

/** Deployment packages of this process, one per synth output and entry (bundled once per entry). */
const packages = new Map<string, string>();
/** Assets of each stack, one per entry: functions of the same code share one copy. */
const assets = new WeakMap<TerraformStack, Map<string, TerraformAsset>>();

function assetFor(scope: Construct, entry: string): TerraformAsset {
  const outdir = resolve(App.of(scope).outdir);
  const key = `${outdir}\0${entry}`;
  let zip = packages.get(key);
  // An output directory removed and made again (same path) needs its packages again.
  if (zip === undefined || !existsSync(zip)) {
    const name = basename(dirname(entry));
    zip = packageLambda({ entry, outfile: join(outdir, PACKAGES_DIR, `${name}.zip`) }).outfile;
    packages.set(key, zip);
  }
  const stack = TerraformStack.of(scope);
  let byEntry = assets.get(stack);
  if (byEntry === undefined) {
    byEntry = new Map();
    assets.set(stack, byEntry);
  }
  let asset = byEntry.get(entry);
  if (asset === undefined) {
    asset = new TerraformAsset(stack, `code-${basename(zip, ".zip")}`, {
      path: zip,
      type: AssetType.FILE,
    });
    byEntry.set(entry, asset);
  }
  return asset;
}

/**
 * A TypeScript Lambda function: bundled with esbuild at synth (node22, `@aws-sdk/*` external,
 * minified, source map), zipped deterministically and shipped as a `TerraformAsset` (no archive
 * provider needed; functions of the same entry in a stack share one asset), running
 * `nodejs22.x` on `arm64`, with its own role and its own log group.
 *
 * The log group is created before the function, so Lambda never creates one of its own that
 * `cdktf destroy` would leave behind. The role may write to that log group only; further
 * permissions come through `addPolicy`.
 */
export class NodejsFunction extends Construct {
  /** The function. */
  public readonly function: LambdaFunction;
  /** The function's execution role. */
  public readonly role: IamRole;
  /** The function's log group, `/aws/lambda/<functionName>`. */
  public readonly logGroup: CloudwatchLogGroup;

  private readonly provider: AwsProvider;

  constructor(scope: Construct, id: string, props: NodejsFunctionProps) {
    super(scope, id);
    const { provider, functionName } = props;
    this.provider = provider;

    this.logGroup = new CloudwatchLogGroup(this, "log-group", {
      provider,
      name: `/aws/lambda/${functionName}`,
      retentionInDays: props.logRetentionDays ?? LOG_RETENTION_DAYS,
    });

    const assumeRole = policyDocument(this, "assume-role", provider, [
      {
        effect: "Allow",
        principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }],
        actions: ["sts:AssumeRole"],
      },
    ]);
    this.role = new IamRole(this, "role", {
      provider,
      name: functionName,
      description: `Execution role of the Lambda function ${functionName}`,
      assumeRolePolicy: assumeRole.json,
    });
    const logging = this.addPolicy("logging", [
      {
        sid: "WriteOwnLogGroup",
        effect: "Allow",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [`${this.logGroup.arn}:*`],
      },
    ]);

    const asset = assetFor(this, props.entry);
    this.function = new LambdaFunction(this, "function", {
      provider,
      functionName,
      description: props.description,
      role: this.role.arn,
      runtime: FUNCTION_RUNTIME,
      architectures: [FUNCTION_ARCHITECTURE],
      handler: `${BUNDLE_FILE.replace(/\.js$/, "")}.handler`,
      filename: asset.path,
      sourceCodeHash: asset.assetHash,
      timeout: props.timeoutSeconds ?? FUNCTION_TIMEOUT_SECONDS,
      memorySize: props.memoryMb ?? FUNCTION_MEMORY_MB,
      environment: {
        variables: { ...props.environment, NODE_OPTIONS: "--enable-source-maps" },
      },
      loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
      dependsOn: [this.logGroup, logging],
    });
  }

  /**
   * Adds an inline policy named `name` to the function's role.
   * Statements must name specific actions and resources.
   */
  addPolicy(name: string, statements: readonly DataAwsIamPolicyDocumentStatement[]): IamRolePolicy {
    const document = policyDocument(this, `${name}-policy-document`, this.provider, statements);
    return new IamRolePolicy(this, `${name}-policy`, {
      provider: this.provider,
      name,
      role: this.role.name,
      policy: document.json,
    });
  }
}
