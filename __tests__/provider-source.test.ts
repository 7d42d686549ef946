/** Where `npm test` and `npm run plan` find Terraform's AWS provider (verify/provider-source.ts). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AWS_PROVIDER,
  cliConfigMirrors,
  findProviderSource,
  impliedMirrorDirs,
  localProviderSource,
  MIRROR_ENV,
  mirrorHoldsProvider,
  terraformPlatform,
} from "../verify/provider-source";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "fanout-provider-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const platform = terraformPlatform();
const providerDir = (mirror: string) => join(mirror, ...AWS_PROVIDER.address.split("/"));

function unpackedMirror(dir: string): string {
  const binDir = join(providerDir(dir), AWS_PROVIDER.version, platform);
  mkdirSync(binDir, { recursive: true });
  writeFileSync(join(binDir, `terraform-provider-aws_v${AWS_PROVIDER.version}_x5`), "");
  return dir;
}

/** An environment with an empty home and no CLI config, so nothing of this machine is seen. */
function bareEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    HOME: join(root, "home"),
    XDG_DATA_HOME: join(root, "xdg"),
    XDG_DATA_DIRS: join(root, "xdg-dirs"),
    TF_CLI_CONFIG_FILE: join(root, "none.tfrc"),
    ...extra,
  };
}

describe("the pinned provider", () => {
  it("is @cdktf/provider-aws's hashicorp/aws", () => {
    expect(AWS_PROVIDER).toEqual({
      address: "registry.terraform.io/hashicorp/aws",
      version: "5.100.0",
    });
  });

  it("is named for Terraform's platforms", () => {
    expect(terraformPlatform("linux", "x64")).toBe("linux_amd64");
    expect(terraformPlatform("darwin", "arm64")).toBe("darwin_arm64");
    expect(terraformPlatform("win32", "x64")).toBe("windows_amd64");
  });
});

describe("mirrorHoldsProvider", () => {
  it("reads the unpacked and the packed layout", () => {
    expect(mirrorHoldsProvider(unpackedMirror(join(root, "unpacked")))).toBe(true);
    const packed = join(root, "packed");
    mkdirSync(providerDir(packed), { recursive: true });
    writeFileSync(
      join(providerDir(packed), `terraform-provider-aws_${AWS_PROVIDER.version}_${platform}.zip`),
      "",
    );
    expect(mirrorHoldsProvider(packed)).toBe(true);
    expect(mirrorHoldsProvider(join(root, "empty"))).toBe(false);
    expect(mirrorHoldsProvider(join(root, "unpacked"), "plan9_386")).toBe(false);
  });
});

describe("cliConfigMirrors", () => {
  it("answers the filesystem mirrors of provider_installation, or undefined without one", () => {
    const config = [
      'plugin_cache_dir = "/cache"',
      "provider_installation {",
      "  filesystem_mirror {",
      '    path    = "/a"',
      '    include = ["registry.terraform.io/hashicorp/*"]',
      "  }",
      '  # filesystem_mirror { path = "/commented" }',
      '  filesystem_mirror { path = "/b" }',
      "  direct {}",
      "}",
    ].join("\n");
    expect(cliConfigMirrors(config)).toEqual(["/a", "/b"]);
    expect(cliConfigMirrors('plugin_cache_dir = "/cache"')).toBeUndefined();
  });
});

describe("impliedMirrorDirs", () => {
  it("are Terraform's per-platform directories", () => {
    const env = { HOME: "/h", XDG_DATA_HOME: "", XDG_DATA_DIRS: "" };
    expect(impliedMirrorDirs(env, "linux")).toEqual([
      "/h/.terraform.d/plugins",
      "/h/.local/share/terraform/plugins",
      "/usr/local/share/terraform/plugins",
      "/usr/share/terraform/plugins",
    ]);
    expect(impliedMirrorDirs(env, "darwin")).toEqual([
      "/h/.terraform.d/plugins",
      "/h/Library/Application Support/io.terraform/plugins",
      "/Library/Application Support/io.terraform/plugins",
    ]);
  });
});

describe("localProviderSource", () => {
  it("takes FANOUT_PROVIDER_MIRROR first, and says when it is wrong", () => {
    const mirror = unpackedMirror(join(root, "m"));
    expect(localProviderSource(bareEnv({ [MIRROR_ENV]: mirror }))).toEqual({
      kind: "variable",
      mirror,
    });
    expect(localProviderSource(bareEnv({ [MIRROR_ENV]: join(root, "nope") }))).toEqual({
      problem: `${MIRROR_ENV}=${join(root, "nope")} does not exist`,
    });
    expect(localProviderSource(bareEnv({ [MIRROR_ENV]: root }))).toEqual({
      problem: `${MIRROR_ENV}=${root} holds no hashicorp/aws ${AWS_PROVIDER.version} for ${platform}`,
    });
  });

  it("then a filesystem mirror of the CLI config, which hides the implied directories", () => {
    const mirror = unpackedMirror(join(root, "cli-mirror"));
    unpackedMirror(join(root, "home", ".terraform.d", "plugins"));
    const file = join(root, "cli.tfrc");
    writeFileSync(
      file,
      `provider_installation {\n  filesystem_mirror {\n    path = "${mirror}"\n  }\n}\n`,
    );
    expect(localProviderSource(bareEnv({ TF_CLI_CONFIG_FILE: file }))).toEqual({
      kind: "cli-config",
      mirror,
      file,
    });
    writeFileSync(file, "provider_installation {\n  direct {}\n}\n");
    expect(localProviderSource(bareEnv({ TF_CLI_CONFIG_FILE: file }))).toEqual({
      problem: `the filesystem mirrors of ${file} hold no hashicorp/aws ${AWS_PROVIDER.version} for ${platform}`,
    });
  });

  it("then Terraform's implied local mirror directories", () => {
    const mirror = unpackedMirror(join(root, "xdg", "terraform", "plugins"));
    expect(localProviderSource(bareEnv())).toEqual({ kind: "implied-mirror", mirror });
  });
});

describe("findProviderSource", () => {
  it("asks the registry only when nothing local holds the provider, and not when the variable is wrong", async () => {
    const registry = jest.fn(async () => true);
    expect(await findProviderSource(bareEnv(), registry)).toEqual({ kind: "registry" });
    expect(await findProviderSource(bareEnv({ [MIRROR_ENV]: root }), registry)).toHaveProperty(
      "problem",
    );
    expect(registry).toHaveBeenCalledTimes(1);
    const silent = await findProviderSource(bareEnv(), async () => false);
    expect(silent).toEqual({
      problem: expect.stringMatching(
        /local mirror directories hold no .*, and the registry does not answer$/,
      ),
    });
  });
});
