/**
 * API Gateway rules: producers must sign their requests, and only the documented health route
 * answers without authorization.
 */
import { ROUTES } from "../../lambdas/producer-api/routes";
import { StackIndex } from "../../inspect/stack-index";
import { soleReference } from "../../inspect/terraform-json";
import { Found, found } from "./rule";

export function apiIamAuth(stack: StackIndex): Found[] {
  const out: Found[] = [];
  const messages = stack.resources("aws_api_gateway_method").filter((m) => {
    const resource = stack.target(m.body.resource_id, ["id"]);
    return (
      resource?.body.path_part === "messages" &&
      ["POST", "ANY"].includes(String(m.body.http_method))
    );
  });
  for (const m of messages) {
    if (m.body.authorization !== "AWS_IAM") {
      out.push(
        found(
          m,
          `${String(m.body.http_method)} /messages has authorization ${String(m.body.authorization)}; expected AWS_IAM`,
        ),
      );
    }
  }
  for (const api of stack.resources("aws_api_gateway_rest_api")) {
    const own = messages.filter(
      (m) => stack.target(m.body.rest_api_id, ["id"])?.address === api.address,
    );
    if (!own.some((m) => m.body.http_method === "POST")) {
      out.push(found(api, "has no POST /messages method"));
    }
  }
  return out;
}

/** `METHOD /path` of every route the handler's table serves without authorization. */
export const UNAUTHENTICATED_ROUTES: readonly string[] = Object.entries(ROUTES)
  .filter(([, r]) => r.authorization === "NONE")
  .map(([path, r]) => `${r.method} ${path}`);

/** The path of an API Gateway resource (`/health`), walking its parents up to the API's root. */
export function resourcePath(
  stack: StackIndex,
  resourceId: unknown,
  seen = new Set<string>(),
): string {
  const ref = soleReference(resourceId);
  if (ref?.attribute === "root_resource_id") return "/";
  const resource = stack.target(resourceId, ["id"]);
  if (resource?.type !== "aws_api_gateway_resource" || seen.has(resource.address)) {
    return `(unknown resource ${String(resourceId)})`;
  }
  seen.add(resource.address);
  const parent = resourcePath(stack, resource.body.parent_id, seen);
  return `${parent === "/" ? "" : parent}/${String(resource.body.path_part)}`;
}

export function apiNoAuthOnlyHealth(stack: StackIndex): Found[] {
  return stack
    .resources("aws_api_gateway_method")
    .filter((m) => String(m.body.authorization ?? "NONE").toUpperCase() === "NONE")
    .flatMap((m) => {
      const route = `${String(m.body.http_method)} ${resourcePath(stack, m.body.resource_id)}`;
      return UNAUTHENTICATED_ROUTES.includes(route)
        ? []
        : [
            found(
              m,
              `${route} has authorization NONE; only ${UNAUTHENTICATED_ROUTES.join(", ")} may (lambdas/producer-api/routes.ts)`,
            ),
          ];
    });
}
