/**
 * The outputs file of a local deployment: what `cdktf deploy --outputs-file` wrote, with the
 * producer APIs' URLs replaced by the ones the local runtime serves, plus the region endpoints
 * (`_endpoints`) and the runtime's control API (`_local`), so the operations CLI runs unchanged
 * against the local deployment.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { ENDPOINTS_KEY, LOCAL_KEY } from "../cli/outputs";
import type { LocalLayout } from "./layout";
import type { LoadResult, RuntimeInfo } from "./runtime/types";

type StackValues = Record<string, unknown>;

/** The CLI's outputs of a local deployment. */
export function localOutputs(
  deployed: Readonly<Record<string, StackValues>>,
  apis: LoadResult["apis"],
  runtime: Pick<RuntimeInfo, "controlUrl" | "endpoints">,
): Record<string, unknown> {
  const stacks: Record<string, StackValues> = {};
  for (const [stack, values] of Object.entries(deployed)) {
    const api = apis[stack];
    stacks[stack] =
      api === undefined
        ? { ...values }
        : {
            ...values,
            api_url: api.url,
            messages_url: `${api.url}/messages`,
            health_url: `${api.url}/health`,
          };
  }
  return {
    ...stacks,
    [ENDPOINTS_KEY]: { ...runtime.endpoints },
    [LOCAL_KEY]: { control_url: runtime.controlUrl },
  };
}

/** Reads the deployed outputs and writes the CLI's outputs file; answers what it wrote. */
export function writeLocalOutputs(
  layout: LocalLayout,
  apis: LoadResult["apis"],
  runtime: Pick<RuntimeInfo, "controlUrl" | "endpoints">,
): Record<string, unknown> {
  const deployed = JSON.parse(readFileSync(layout.deployedOutputs, "utf8")) as Record<
    string,
    StackValues
  >;
  const outputs = localOutputs(deployed, apis, runtime);
  writeFileSync(layout.outputs, `${JSON.stringify(outputs, null, 2)}\n`);
  return outputs;
}
