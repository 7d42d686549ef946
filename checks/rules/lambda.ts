/**
 * Lambda rules: the runtime and architecture, a log group of its own with retention, and
 * permissions that let only a named service acting for a named resource invoke a function.
 */
import { StackIndex } from "../../inspect/stack-index";
import { asList, soleReference } from "../../inspect/terraform-json";
import { accountOf, hasWildcard } from "./policy";
import { Found, found } from "./rule";

export function lambdaRuntime(stack: StackIndex): Found[] {
  return stack.resources("aws_lambda_function").flatMap((fn) => {
    const out: Found[] = [];
    if (fn.body.runtime !== "nodejs22.x") {
      out.push(found(fn, `runtime is ${String(fn.body.runtime)}; expected nodejs22.x`));
    }
    const arch = asList(fn.body.architectures).map(String);
    if (arch.join() !== "arm64") {
      out.push(found(fn, `architectures are [${arch.join(", ")}]; expected [arm64]`));
    }
    return out;
  });
}

export function lambdaLogGroup(stack: StackIndex): Found[] {
  return stack.resources("aws_lambda_function").flatMap((fn) => {
    const name = fn.body.function_name;
    if (typeof name !== "string" || soleReference(name) || name.includes("${")) {
      return [found(fn, "function_name is not a literal, so its log group cannot be checked")];
    }
    const groupName = `/aws/lambda/${name}`;
    const groups = stack
      .resources("aws_cloudwatch_log_group")
      .filter((g) => g.body.name === groupName && stack.regionOf(g) === stack.regionOf(fn));
    if (groups.length !== 1) {
      return [
        found(
          fn,
          `has ${groups.length} log groups named ${groupName} in ${stack.regionOf(fn)}; expected one`,
        ),
      ];
    }
    const [group] = groups;
    const out: Found[] = [];
    const days = group.body.retention_in_days;
    if (typeof days !== "number" || days <= 0) {
      out.push(
        found(
          group,
          `log group of ${fn.address} has no retention_in_days, so logs are kept forever`,
        ),
      );
    }
    const config = asList<Record<string, unknown>>(fn.body.logging_config)[0];
    const target = config?.log_group;
    if (
      target !== undefined &&
      target !== groupName &&
      stack.target(target)?.address !== group.address
    ) {
      out.push(found(fn, `logs to ${String(target)}, not to its log group ${group.address}`));
    }
    return out;
  });
}

/**
 * A `source_arn` that may hold wildcards: this stack's REST API's `execution_arn` followed by
 * `/` (stage, method and path of that one API; without the `/`, `abc*` would also match API
 * `abcd`).
 */
const OWN_API_EXECUTION_ARN = /^\$\{(aws_api_gateway_rest_api\.[A-Za-z0-9_-]+)\.execution_arn\}\//;

export function lambdaPermissionScoped(stack: StackIndex): Found[] {
  const own = stack.ownAccounts();
  return stack.resources("aws_lambda_permission").flatMap((p) => {
    const principal = String(p.body.principal ?? "");
    const source = p.body.source_arn;
    if (hasWildcard(principal) || principal === "") {
      return [
        found(p, `principal is ${JSON.stringify(principal)}: anyone may invoke the function`),
      ];
    }
    if (!/\.amazonaws\.com$/.test(principal)) {
      const account = accountOf(principal);
      return account !== undefined && own.has(account)
        ? []
        : [found(p, `principal ${principal} is not this stack's account nor a service`)];
    }
    if (typeof source !== "string" || source === "") {
      return [found(p, `lets ${principal} invoke the function for any resource: no source_arn`)];
    }
    if (!hasWildcard(source)) return [];
    const api = OWN_API_EXECUTION_ARN.exec(source);
    return api && stack.block(api[1])?.type === "aws_api_gateway_rest_api"
      ? []
      : [
          found(
            p,
            `source_arn ${source} has a wildcard outside this stack's API (allowed: \${aws_api_gateway_rest_api.<id>.execution_arn}/<stage>/<method>/<path>, wildcards after the /)`,
          ),
        ];
  });
}
