import { ApiGatewayAccount } from "@cdktf/provider-aws/lib/api-gateway-account";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";
import { API_GATEWAY_LOGS_MANAGED_POLICY } from "./defaults";
import { policyDocument } from "./policy";

export interface ApiGatewayCloudWatchRoleProps {
  /** Provider of the region whose API Gateway account settings this sets. */
  readonly provider: AwsProvider;
  /** Physical name of the role. */
  readonly roleName: string;
}

/**
 * The role API Gateway writes CloudWatch logs with, set in the account settings of one region
 * (`aws_api_gateway_account`). Those settings are one per account and region, shared by every
 * REST API there: a stage with access logs cannot be deployed until they name a role. Only one
 * app of an account and region may own them; destroying it resets them.
 *
 * The role carries AWS's managed policy for it, which covers every API's log groups (execution
 * logs create their own): the role serves the whole region, not one API.
 */
export class ApiGatewayCloudWatchRole extends Construct {
  /** The role. */
  public readonly role: IamRole;
  /** The region's API Gateway account settings, naming the role. */
  public readonly account: ApiGatewayAccount;

  constructor(scope: Construct, id: string, props: ApiGatewayCloudWatchRoleProps) {
    super(scope, id);
    const { provider } = props;
    const partition = new DataAwsPartition(this, "partition", { provider }).partition;
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
      description: `API Gateway writes CloudWatch logs of the region ${provider.region} with this role`,
      assumeRolePolicy: assumeRole.json,
    });
    const policy = new IamRolePolicyAttachment(this, "push-to-cloudwatch-logs", {
      provider,
      role: this.role.name,
      policyArn: `arn:${partition}:iam::aws:policy/service-role/${API_GATEWAY_LOGS_MANAGED_POLICY}`,
    });
    this.account = new ApiGatewayAccount(this, "account", {
      provider,
      cloudwatchRoleArn: this.role.arn,
      // Destroying the app clears the setting instead of leaving it naming a deleted role.
      resetOnDelete: true,
      // API Gateway checks that it may assume the role and write logs with it.
      dependsOn: [policy],
    });
  }
}
