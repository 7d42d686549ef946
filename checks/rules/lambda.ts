/**
 * Lambda rules: the runtime and architecture, and a log group of its own with retention.
 */
import { StackIndex } from "../../inspect/stack-index";
import { asList, soleReference } from "../../inspect/terraform-json";
import { Found, found, Rule } from "./rule";

function lambdaRuntime(stack: StackIndex): Found[] {
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

function lambdaLogGroup(stack: StackIndex): Found[] {
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

/** The rules of this service, in the order violations are printed. */
export const LAMBDA_RULES: readonly Rule[] = [
  {
    id: "lambda-runtime",
    description: "Every Lambda function runs nodejs22.x on arm64 only.",
    check: lambdaRuntime,
  },
  {
    id: "lambda-log-group",
    description:
      "Every Lambda function has a log group /aws/lambda/<function name> in its own region with retention_in_days set, and logs to it.",
    check: lambdaLogGroup,
  },
];
