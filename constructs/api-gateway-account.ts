import { ApiGatewayAccount } from "@cdktf/provider-aws/lib/api-gateway-account";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Construct } from "constructs";
import { policyDocument } from "./policy";
import { providerOf } from "./providers";

export interface ApiGatewayCloudWatchRoleProps {
  /** The log group API Gateway writes to; the settings are those of its region. */
  readonly logGroup: CloudwatchLogGroup;
  /** Physical name of the role. */
  readonly roleName: string;
}

/**
 * The role API Gateway writes CloudWatch logs with, set in the account settings of one region
 * (`aws_api_gateway_account`). Those settings are one per account and region, shared by every
 * REST API there: a stage with an access log cannot be deployed until they name a role. Only
 * one app of an account and region may own them; destroying it resets them.
 *
 * The role may write to the given log group only, so other APIs of the region cannot log
 * through it: own the settings only where this app is the region's one API Gateway logger.
 */
export class ApiGatewayCloudWatchRole extends Construct {
  /** The role. */
  public readonly role: IamRole;
  /** The region's API Gateway account settings, naming the role. */
  public readonly account: ApiGatewayAccount;

  constructor(scope: Construct, id: string, props: ApiGatewayCloudWatchRoleProps) {
    super(scope, id);
    const { logGroup } = props;
    const provider = providerOf(logGroup);
    const assumeRole = policyDocument(this, "assume-role", provider, [
      {
        effect: "Allow",
        principals: [{ type: "Service", identifiers: ["apigateway.amazonaws.com"] }],
        actions: ["sts:AssumeRole"],
      },
    ]);
    this.role = new IamRole(this, "role", {
      provider,
      name: props.roleName,
      description: `API Gateway writes ${logGroup.name} with this role`,
      assumeRolePolicy: assumeRole.json,
    });
    const writeLogs = policyDocument(this, "write-logs", provider, [
      {
        sid: "WriteAccessLog",
        effect: "Allow",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [`${logGroup.arn}:*`],
      },
    ]);
    const policy = new IamRolePolicy(this, "write-logs-policy", {
      provider,
      name: "write-access-log",
      role: this.role.name,
      policy: writeLogs.json,
    });
    this.account = new ApiGatewayAccount(this, "account", {
      provider,
      cloudwatchRoleArn: this.role.arn,
      // Destroying the app clears the setting instead of leaving it naming a deleted role.
      resetOnDelete: true,
      // API Gateway checks that it may assume the role.
      dependsOn: [policy],
    });
  }
}
