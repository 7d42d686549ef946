/**
 * How the `npm run` scripts end: an exit code, and a failure as one line on stderr (what is
 * wrong and what to do), never a stack trace or a Terraform dump.
 */

/**
 * One line for an error that ends a script: its message's first line, and, when that line
 * introduces a tool's output (`terraform init failed in <dir>:`), the first `Error:` line of it.
 */
export function failureLine(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const [first, ...rest] = error.message.split("\n");
  const cause = rest
    .map((line) => line.replace(/^[│\s]+/, ""))
    .find((line) => line.startsWith("Error: "));
  return cause === undefined ? first : `${first.replace(/:\s*$/, "")}: ${cause}`;
}

/** Options of {@link runScript}. */
export interface RunScriptOptions {
  /**
   * Put before the failure line, e.g. `Cannot plan: `.
   * @default - nothing
   */
  readonly prefix?: string;
  /**
   * End the process at once with the code (idle keep-alive sockets must not hold it).
   * @default false - set `process.exitCode` and let Node end
   */
  readonly exit?: boolean;
}

/**
 * Runs a script's main function when its file is the program (`require.main === module`; not
 * when a test imports it) and ends with its exit code; a thrown error becomes one line on
 * stderr and exit code 1. Resolves once the code is set.
 */
export function runScript(
  isProgram: boolean,
  main: () => number | Promise<number>,
  options: RunScriptOptions = {},
): Promise<void> {
  if (!isProgram) return Promise.resolve();
  const end = (code: number): void => {
    if (options.exit) process.exit(code);
    process.exitCode = code;
  };
  const fail = (error: unknown): void => {
    console.error(`${options.prefix ?? ""}${failureLine(error)}`);
    end(1);
  };
  return new Promise<number>((resolve) => resolve(main())).then(end, fail);
}
