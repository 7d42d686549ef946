/**
 * Bundles one Lambda entry with esbuild, deterministically, for the infrastructure code and the
 * benchmark. A plain function: no construct, no CDKTF import.
 *
 * esbuild's synchronous API is used because construct code (and so synth) is synchronous.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildSync, type BuildFailure, type BuildOptions, type OutputFile } from "esbuild";
import { zipSync } from "fflate";

/** esbuild target matching the Lambda runtime `nodejs22.x`. */
export const LAMBDA_NODE_TARGET = "node22";

/** Modules left out of bundles: the Lambda Node.js runtime ships AWS SDK v3. */
export const EXTERNAL_MODULES: readonly string[] = ["@aws-sdk/*"];

/** File name of the bundle; the function's handler is `index.handler`. */
export const BUNDLE_FILE = "index.js";

/** File name of the bundle's source map, linked from the bundle. */
export const SOURCE_MAP_FILE = `${BUNDLE_FILE}.map`;

/** Root of this repository (the parent of `constructs/`). */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

/** Options of {@link bundleLambda}. */
export interface BundleLambdaOptions {
  /** Entry file, absolute or relative to `projectRoot`, e.g. `lambdas/consumer/index.ts`. */
  readonly entry: string;
  /**
   * Directory that receives `index.js` and `index.js.map`; created when missing. It must hold
   * nothing else, since everything in it ends up in the function's archive.
   */
  readonly outdir: string;
  /**
   * Directory source-map paths are relative to.
   * @default - the repository root
   */
  readonly projectRoot?: string;
  /**
   * Reuse the bundle built earlier in this process for the same entry.
   * @default true
   */
  readonly cache?: boolean;
}

/** What {@link bundleLambda} wrote. */
export interface BundleResult {
  /** Absolute path of the directory holding `index.js` and `index.js.map`. */
  readonly outdir: string;
  /** Size of `index.js` in bytes. */
  readonly bytes: number;
  /** Size of `index.js.map` in bytes. */
  readonly mapBytes: number;
  /** SHA-256 (hex) of `index.js`. */
  readonly sha256: string;
}

interface BuiltBundle {
  readonly code: Uint8Array;
  readonly map: Uint8Array;
  readonly sha256: string;
}

const cache = new Map<string, BuiltBundle>();

/** Forgets every bundle built in this process (tests and benchmarks). */
export function clearBundleCache(): void {
  cache.clear();
}

/**
 * Rewrites one source-map path so it is the same from any checkout: relative to the project
 * root, or `node_modules/...` for a package that resolved outside it (a symlinked
 * `node_modules`, a workspace).
 *
 * @param source - path as esbuild wrote it, relative to the project root
 * @throws Error when the source lies outside the project root and outside any `node_modules`
 */
export function stableSourcePath(source: string): string {
  const posix = source.split(path.sep).join("/");
  if (!posix.startsWith("../") && !path.posix.isAbsolute(posix)) return posix;
  const index = posix.indexOf("/node_modules/");
  if (index >= 0) return posix.slice(index + 1);
  throw new Error(
    `Bundled source ${source} lies outside the project root and node_modules; move it under the project`,
  );
}

function bundleOptions(entry: string, projectRoot: string): BuildOptions & { write: false } {
  return {
    absWorkingDir: projectRoot,
    entryPoints: [entry],
    // Never written (write: false); a fixed location keeps source-map paths project-relative.
    outfile: path.join(projectRoot, BUNDLE_FILE),
    write: false,
    bundle: true,
    platform: "node",
    target: LAMBDA_NODE_TARGET,
    format: "cjs",
    external: [...EXTERNAL_MODULES],
    minify: true,
    sourcemap: "linked",
    sourcesContent: false,
    legalComments: "none",
    charset: "utf8",
    logLevel: "silent",
  };
}

function pick(files: readonly OutputFile[], name: string, entry: string): OutputFile {
  const file = files.find((candidate) => path.basename(candidate.path) === name);
  if (file === undefined) throw new Error(`esbuild produced no ${name} for ${entry}`);
  return file;
}

function build(entry: string, projectRoot: string): BuiltBundle {
  let outputFiles: readonly OutputFile[];
  try {
    outputFiles = buildSync(bundleOptions(entry, projectRoot)).outputFiles;
  } catch (error) {
    const first = (error as Partial<BuildFailure>).errors?.[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : "";
    const text = first ? `${first.text}${where}` : (error as Error).message;
    throw new Error(`Bundling ${path.relative(projectRoot, entry)} failed: ${text}`);
  }
  const code = pick(outputFiles, BUNDLE_FILE, entry).contents;
  const rawMap = JSON.parse(pick(outputFiles, SOURCE_MAP_FILE, entry).text) as {
    sources: string[];
  };
  rawMap.sources = rawMap.sources.map(stableSourcePath);
  const map = new TextEncoder().encode(JSON.stringify(rawMap));
  const sha256 = createHash("sha256").update(code).digest("hex");
  return { code, map, sha256 };
}

function prepareOutdir(outdir: string): void {
  fs.mkdirSync(outdir, { recursive: true });
  const unexpected = fs
    .readdirSync(outdir)
    .filter((name) => name !== BUNDLE_FILE && name !== SOURCE_MAP_FILE);
  if (unexpected.length > 0) {
    throw new Error(
      `Bundle directory ${outdir} holds other files (${unexpected.join(", ")}); give bundleLambda a directory of its own`,
    );
  }
}

/**
 * Bundles one Lambda entry into `outdir/index.js` with a linked `index.js.map`: platform node,
 * target node22, CommonJS, minified, `@aws-sdk/*` external, no legal comments, no source
 * contents. The output is byte-identical for the same sources from any checkout path.
 *
 * @throws Error when the entry does not build or `outdir` holds other files
 */
export function bundleLambda(options: BundleLambdaOptions): BundleResult {
  const projectRoot = path.resolve(options.projectRoot ?? PROJECT_ROOT);
  const entry = path.resolve(projectRoot, options.entry);
  const outdir = path.resolve(options.outdir);
  const key = `${projectRoot}\0${entry}`;

  let built = options.cache === false ? undefined : cache.get(key);
  if (built === undefined) {
    built = build(entry, projectRoot);
    if (options.cache !== false) cache.set(key, built);
  }

  prepareOutdir(outdir);
  fs.writeFileSync(path.join(outdir, BUNDLE_FILE), built.code);
  fs.writeFileSync(path.join(outdir, SOURCE_MAP_FILE), built.map);
  return {
    outdir,
    bytes: built.code.byteLength,
    mapBytes: built.map.byteLength,
    sha256: built.sha256,
  };
}

/** Modification time written into every archive entry, so archives are byte-identical. */
const ARCHIVE_MTIME = new Date("1980-01-01T00:00:00Z");

/** Options of {@link packageLambda}. */
export interface PackageLambdaOptions {
  /** Entry file, absolute or relative to `projectRoot`, e.g. `lambdas/consumer/index.ts`. */
  readonly entry: string;
  /** The zip file to write; its directory is created when missing. */
  readonly outfile: string;
  /**
   * Directory source-map paths are relative to.
   * @default - the repository root
   */
  readonly projectRoot?: string;
}

/** What {@link packageLambda} wrote. */
export interface PackageResult extends Omit<BundleResult, "outdir"> {
  /** Absolute path of the zip file. */
  readonly outfile: string;
  /** Size of the zip file in bytes. */
  readonly zipBytes: number;
}

/**
 * Bundles one entry (see {@link bundleLambda}) and writes the Lambda deployment package: a zip
 * of `index.js` and `index.js.map` with fixed entry order and times, so the same source gives
 * the same bytes, and so the same asset hash, on any machine. Written in-process: a cdktf
 * archive asset would spawn a Node process per function at every synth.
 */
export function packageLambda(options: PackageLambdaOptions): PackageResult {
  const projectRoot = path.resolve(options.projectRoot ?? PROJECT_ROOT);
  const entry = path.resolve(projectRoot, options.entry);
  const key = `${projectRoot}\0${entry}`;
  let built = cache.get(key);
  if (built === undefined) {
    built = build(entry, projectRoot);
    cache.set(key, built);
  }
  const zip = zipSync(
    {
      [BUNDLE_FILE]: [built.code, { mtime: ARCHIVE_MTIME }],
      [SOURCE_MAP_FILE]: [built.map, { mtime: ARCHIVE_MTIME }],
    },
    { level: 9 },
  );
  const outfile = path.resolve(options.outfile);
  fs.mkdirSync(path.dirname(outfile), { recursive: true });
  fs.writeFileSync(outfile, zip);
  return {
    outfile,
    bytes: built.code.byteLength,
    mapBytes: built.map.byteLength,
    sha256: built.sha256,
    zipBytes: zip.byteLength,
  };
}
