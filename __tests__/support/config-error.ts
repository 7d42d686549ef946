/** The one-line ConfigError message the configuration loader throws, for "throws when" tests. */
import { ConfigError, ConfigSources, loadConfig } from "../../config/config";
import { cdktfJsonContext } from "../../inspect/synth";

/** The ConfigError message `loadConfig` throws for these sources. */
export function configErrorOf(sources: ConfigSources): string {
  try {
    loadConfig(sources);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

/** The message for cdktf.json's context with `context` over it and `env` as the environment. */
export function errorOf(
  context: Record<string, unknown>,
  env: Record<string, string> = {},
): string {
  return configErrorOf({ context: { ...(cdktfJsonContext() as object), ...context }, env });
}
