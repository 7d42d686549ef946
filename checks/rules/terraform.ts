/**
 * Rules over the Terraform JSON as a whole: no path of the synthesizing machine, and an explicit
 * provider (so an explicit region) on every AWS block.
 */
import { StackIndex } from "../../inspect/stack-index";
import { stringsIn } from "../../inspect/terraform-json";
import { Found, found, RuleContext } from "./rule";

/** Names that start with `/` and are AWS names, not paths of a machine. */
const AWS_SLASH_NAMES: readonly { pattern: RegExp; reason: string }[] = [
  {
    pattern: /^\/aws\/[A-Za-z0-9_./#-]+$/,
    reason: "AWS-reserved log group names (/aws/lambda/<function>)",
  },
];
/** IAM paths (`/`, `/service-role/`) in the `path` attribute of IAM resources. */
const IAM_PATH = /^\/(?:[\w+=,.@-]+\/)*$/;

export function noMachinePaths(stack: StackIndex, context: RuleContext): Found[] {
  const out: Found[] = [];
  const check = (address: string, type: string | undefined, value: unknown) => {
    for (const { path, value: text } of stringsIn(value)) {
      const where = path.length > 0 ? path.join(".") : "(value)";
      const dir = context.machineDirs.find((d) => text.includes(d));
      if (dir !== undefined) {
        out.push(found(address, `${where} contains the machine directory ${dir}`));
      } else if (/^[A-Za-z]:[\\/]/.test(text)) {
        out.push(found(address, `${where} is an absolute Windows path: ${text}`));
      } else if (text.startsWith("/")) {
        const awsName = AWS_SLASH_NAMES.some((n) => n.pattern.test(text));
        const iamPath =
          type?.startsWith("aws_iam_") && path[path.length - 1] === "path" && IAM_PATH.test(text);
        if (!awsName && !iamPath) out.push(found(address, `${where} is an absolute path: ${text}`));
      }
    }
  };
  for (const block of stack.blocks) check(block.address, block.type, block.body);
  for (const [key, value] of Object.entries(stack.json)) {
    if (key !== "resource" && key !== "data") check(key, undefined, value);
  }
  return out;
}

export function explicitProvider(stack: StackIndex): Found[] {
  return stack.blocks
    .filter((b) => b.type.startsWith("aws_") && typeof b.body.provider !== "string")
    .map((b) => found(b, "names no provider, so its region is the default provider's"));
}
