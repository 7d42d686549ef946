/**
 * Names a user can get wrong around the settings: `FANOUT_*` environment variables and
 * `fanout`-like keys of cdktf.json's `context`. A name that is neither a setting nor one of
 * the project's other names stops synth with one line naming the closest setting, instead of
 * being ignored while the default is used.
 */
import { ConfigError, SETTINGS } from "./settings";
import { closest, editDistance } from "./suggest";

/** Key of the settings object in cdktf.json's `context`. */
export const CONTEXT_KEY = "fanout";

/** Every environment variable name of the project starts with this. */
export const ENV_PREFIX = "FANOUT_";

/**
 * The project's `FANOUT_*` variables for its tools and tests, with what reads them: synth
 * accepts them in its environment.
 */
export const TOOL_VARIABLES: Readonly<Record<string, string>> = {
  FANOUT_PROVIDER_MIRROR: "filesystem mirror of the AWS provider (npm run plan, local, tests)",
  FANOUT_REQUIRE_PLAN: "tests: fail instead of skip without Terraform or the provider (CI)",
  FANOUT_REQUIRE_LOCAL: "tests: fail instead of skip without the local deployment (CI)",
  FANOUT_OUTPUTS: "fanout CLI: the stack outputs file",
  FANOUT_REGION: "fanout drill: the region its --down-command and --up-command cut off",
  FANOUT_EMULATOR_SKIP_FILLS: "local emulator tests: fills to leave out",
  FANOUT_TEST_REGISTRY_ANSWERS: "tests: whether the provider registry answered",
  FANOUT_TEST_SKIP_LOG: "tests: file of skipped suites for the closing line",
  FANOUT_TEST_SYNTH_CACHE: "tests: synth outputs shared by the workers",
};

/**
 * Variables the stacks set on the deployed functions, with what reads them. Synth does not read
 * them, so one in its environment is a mistake (`FANOUT_STACK` for `FANOUT_STACKS`): refused.
 */
export const FUNCTION_VARIABLES: Readonly<Record<string, string>> = {
  FANOUT_STACK: "Lambda functions: the stack the function belongs to",
  FANOUT_QUEUE_ROLE: "consumer function: active or replica",
  FANOUT_MAX_CLOCK_SKEW_MS: "consumer function: how far in the future a recorded_at may be",
  FANOUT_FIFO_QUEUE: "consumer function: whether its queue is a FIFO queue",
  FANOUT_IDEMPOTENCY_TABLE: "consumer function: the unit's idempotency table",
  FANOUT_IDEMPOTENCY_EXPIRES_AFTER_SECONDS:
    "consumer function: how long a processed message stays marked",
  FANOUT_TOPIC_ARN: "producer API function: the topic it publishes to",
  FANOUT_TOPIC_CONTENT_BASED_DEDUPLICATION:
    "producer API function: whether its FIFO topic deduplicates by content",
};

/**
 * Every `FANOUT_*` name of the project that is not a setting. Any other `FANOUT_*` name is
 * refused; a test keeps this list and the names used in the repository equal.
 */
export const NON_SETTING_VARIABLES: Readonly<Record<string, string>> = {
  ...TOOL_VARIABLES,
  ...FUNCTION_VARIABLES,
};

const settingList = Object.values(SETTINGS);

/** Refuses a `FANOUT_*` variable that is neither a setting nor one of TOOL_VARIABLES. */
export function checkEnvironmentNames(env: Readonly<Record<string, string | undefined>>): void {
  const settingVariables = settingList.map((s) => s.env);
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(ENV_PREFIX) || env[name] === undefined) continue;
    if (settingVariables.includes(name) || name in TOOL_VARIABLES) continue;
    const near = settingList.find((s) => s.env === closest(name, settingVariables));
    const why =
      name in FUNCTION_VARIABLES
        ? "the stacks set it on the deployed functions; synth does not read it"
        : "no setting or tool of this project reads it";
    throw new ConfigError(
      `Unknown environment variable ${name}: ${why}; did you mean ${near?.env} (setting ${near?.key})? Allowed: the variables in docs/configuration.md`,
    );
  }
}

/** Whether a context key looks like a misspelling of `fanout` (`fanuot`, `Fanout`, `fan-out`). */
function looksLikeContextKey(key: string): boolean {
  const normalized = key.toLowerCase().replace(/[-_ .]/g, "");
  return key !== CONTEXT_KEY && editDistance(normalized, CONTEXT_KEY) <= 2;
}

/**
 * Refuses a key of cdktf.json's `context` that looks like a misspelled `fanout`: its settings
 * would be ignored. Other keys (cdktf's own, such as `excludeStackIdFromLogicalIds`) pass.
 */
export function checkContextKeys(context: unknown): void {
  if (typeof context !== "object" || context === null || Array.isArray(context)) return;
  const key = Object.keys(context).find(looksLikeContextKey);
  if (key !== undefined) {
    throw new ConfigError(
      `Unknown cdktf.json context key ${JSON.stringify(key)}: its settings would be ignored; did you mean "${CONTEXT_KEY}"? Allowed: settings under context.${CONTEXT_KEY}`,
    );
  }
}

/** Refuses an unknown key of `context.fanout`, naming the closest setting. */
export function checkSettingKeys(context: Record<string, unknown>): void {
  const known = Object.keys(SETTINGS);
  for (const key of Object.keys(context)) {
    if (!known.includes(key)) {
      throw new ConfigError(
        `Unknown setting ${key} in cdktf.json context.${CONTEXT_KEY}; allowed: ${known.join(", ")}; did you mean ${closest(key, known)}?`,
      );
    }
  }
}

/**
 * cdktf.json's whole `context` when synth runs under the cdktf CLI, which hands it to the app
 * in `CDKTF_CONTEXT_JSON`; `undefined` otherwise.
 */
export function cliContext(env: Readonly<Record<string, string | undefined>>): unknown {
  const json = env.CDKTF_CONTEXT_JSON;
  if (json === undefined) return undefined;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}
