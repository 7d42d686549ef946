/**
 * Where Terraform can get the AWS provider the stacks pin (`@cdktf/provider-aws`'s
 * hashicorp/aws version), looked up before anything plans, in Terraform's own order:
 *
 * 1. `FANOUT_PROVIDER_MIRROR`: a filesystem mirror the project puts in a CLI config of its own;
 * 2. a `filesystem_mirror` of the CLI config's `provider_installation` (`TF_CLI_CONFIG_FILE`,
 *    else `~/.terraformrc`);
 * 3. without `provider_installation`, Terraform's implied local mirror directories
 *    (`~/.terraform.d/plugins`, `$XDG_DATA_HOME/terraform/plugins`, ...);
 * 4. the registry, when it answers.
 *
 * The first three look at files only. The registry check is one HTTPS request with a short
 * timeout, so a machine without network answers at once (a name that does not resolve) or
 * after the timeout, never hangs.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Environment variable naming a filesystem mirror directory of Terraform providers. */
export const MIRROR_ENV = "FANOUT_PROVIDER_MIRROR";

const pinned = (
  JSON.parse(readFileSync(require.resolve("@cdktf/provider-aws/package.json"), "utf8")) as {
    cdktf: { provider: { name: string; version: string } };
  }
).cdktf.provider;

/** The provider every stack requires, as `@cdktf/provider-aws` pins it. */
export const AWS_PROVIDER = {
  /** `registry.terraform.io/hashicorp/aws` */
  address: pinned.name,
  version: pinned.version,
} as const;

export type ProviderSource =
  | { readonly kind: "variable"; readonly mirror: string }
  | { readonly kind: "cli-config"; readonly mirror: string; readonly file: string }
  | { readonly kind: "implied-mirror"; readonly mirror: string }
  | { readonly kind: "registry" };

/** How to get a mirror, for messages: the command and the variable. */
export const MIRROR_REMEDY =
  "make a mirror where the registry answers, `npm run synth && terraform -chdir=cdktf.out/stacks/primary " +
  `providers mirror <dir>\` (docs/development.md, "Provider mirror"), then set ${MIRROR_ENV}=<dir>`;

/** Terraform's name of this machine's platform, e.g. `linux_amd64`. */
export function terraformPlatform(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): string {
  const os = platform === "win32" ? "windows" : platform;
  const cpu = arch === "x64" ? "amd64" : arch === "ia32" ? "386" : arch;
  return `${os}_${cpu}`;
}

/**
 * Whether a filesystem mirror directory holds the pinned provider for this platform, in
 * either layout Terraform reads: unpacked (`<host>/<ns>/<type>/<version>/<os_arch>/`) or
 * packed (`<host>/<ns>/<type>/terraform-provider-<type>_<version>_<os_arch>.zip`, as
 * `terraform providers mirror` writes it).
 */
export function mirrorHoldsProvider(dir: string, platform: string = terraformPlatform()): boolean {
  const base = join(dir, ...AWS_PROVIDER.address.split("/"));
  const unpacked = join(base, AWS_PROVIDER.version, platform);
  if (
    existsSync(unpacked) &&
    readdirSync(unpacked).some((f) => f.startsWith("terraform-provider-"))
  )
    return true;
  const type = AWS_PROVIDER.address.split("/").pop();
  return existsSync(
    join(base, `terraform-provider-${type}_${AWS_PROVIDER.version}_${platform}.zip`),
  );
}

/** The CLI config file Terraform reads (`TF_CLI_CONFIG_FILE`, else `~/.terraformrc`). */
function cliConfigFile(env: NodeJS.ProcessEnv): string {
  return env.TF_CLI_CONFIG_FILE || join(env.HOME ?? homedir(), ".terraformrc");
}

/**
 * The `provider_installation` block of a CLI config: `undefined` when there is none, else
 * the paths of its `filesystem_mirror` blocks.
 */
export function cliConfigMirrors(text: string): string[] | undefined {
  const withoutComments = text.replace(/(#|\/\/).*$/gm, "");
  if (!/\bprovider_installation\s*\{/.test(withoutComments)) return undefined;
  return [...withoutComments.matchAll(/filesystem_mirror\s*\{[^}]*?\bpath\s*=\s*"([^"]+)"/g)].map(
    (m) => m[1],
  );
}

/** Terraform's implied local mirror directories on this platform. */
export function impliedMirrorDirs(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): string[] {
  const home = env.HOME ?? homedir();
  if (platform === "win32") {
    const appData = env.APPDATA ?? join(home, "AppData", "Roaming");
    return [
      join(appData, "terraform.d", "plugins"),
      join(appData, "HashiCorp", "Terraform", "plugins"),
    ];
  }
  const dirs = [join(home, ".terraform.d", "plugins")];
  if (platform === "darwin") {
    dirs.push(
      join(home, "Library", "Application Support", "io.terraform", "plugins"),
      join("/Library", "Application Support", "io.terraform", "plugins"),
    );
  } else {
    const dataHome = env.XDG_DATA_HOME || join(home, ".local", "share");
    const dataDirs = (env.XDG_DATA_DIRS || "/usr/local/share:/usr/share").split(":");
    for (const d of [dataHome, ...dataDirs])
      if (d !== "") dirs.push(join(d, "terraform", "plugins"));
  }
  return dirs;
}

/** A local source of the provider (steps 1 to 3 above), or why there is none. */
export function localProviderSource(
  env: NodeJS.ProcessEnv = process.env,
): ProviderSource | { readonly problem: string } {
  const variable = env[MIRROR_ENV];
  if (variable) {
    if (!existsSync(variable)) return { problem: `${MIRROR_ENV}=${variable} does not exist` };
    if (!mirrorHoldsProvider(variable)) {
      return { problem: `${MIRROR_ENV}=${variable} holds no ${describeProvider()}` };
    }
    return { kind: "variable", mirror: variable };
  }
  const file = cliConfigFile(env);
  const mirrors = existsSync(file) ? cliConfigMirrors(readFileSync(file, "utf8")) : undefined;
  const candidates = mirrors ?? impliedMirrorDirs(env);
  const mirror = candidates.find((dir) => mirrorHoldsProvider(dir));
  if (mirror !== undefined) {
    return mirrors ? { kind: "cli-config", mirror, file } : { kind: "implied-mirror", mirror };
  }
  return {
    problem: mirrors
      ? `the filesystem mirrors of ${file} hold no ${describeProvider()}`
      : `${MIRROR_ENV} is not set and Terraform's local mirror directories hold no ${describeProvider()}`,
  };
}

/** `hashicorp/aws 5.100.0 for linux_amd64` */
export function describeProvider(): string {
  const name = AWS_PROVIDER.address.split("/").slice(1).join("/");
  return `${name} ${AWS_PROVIDER.version} for ${terraformPlatform()}`;
}

/** Whether the registry answers for the pinned provider's download, within `timeoutMs`. */
export async function registryAnswers(timeoutMs = 3000): Promise<boolean> {
  const [host, namespace, type] = AWS_PROVIDER.address.split("/");
  const [os, arch] = terraformPlatform().split("_");
  const url = `https://${host}/v1/providers/${namespace}/${type}/${AWS_PROVIDER.version}/download/${os}/${arch}`;
  try {
    const answer = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return answer.ok;
  } catch {
    return false;
  }
}

/** Where the provider comes from (all four steps), or why it cannot be had. */
export async function findProviderSource(
  env: NodeJS.ProcessEnv = process.env,
  registry: () => Promise<boolean> = registryAnswers,
): Promise<ProviderSource | { readonly problem: string }> {
  const local = localProviderSource(env);
  if (!("problem" in local) || env[MIRROR_ENV]) return local;
  if (await registry()) return { kind: "registry" };
  return { problem: `${local.problem}, and the registry does not answer` };
}

/** One line for a progress message: `mirror /x (FANOUT_PROVIDER_MIRROR)`, `registry`. */
export function describeSource(source: ProviderSource): string {
  switch (source.kind) {
    case "variable":
      return `mirror ${source.mirror} (${MIRROR_ENV})`;
    case "cli-config":
      return `mirror ${source.mirror} (${source.file})`;
    case "implied-mirror":
      return `mirror ${source.mirror}`;
    case "registry":
      return "the registry";
  }
}
