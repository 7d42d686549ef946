/**
 * Lambda rules: the runtime and architecture, and a log group of its own with retention.
 */
import { StackIndex } from "../../inspect/stack-index";
import { asList, soleReference } from "../../inspect/terraform-json";
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
