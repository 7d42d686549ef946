/**
 * API Gateway rule: producers must sign their requests.
 */
import { StackIndex } from "../../inspect/stack-index";
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
