/**
 * The `fanout` command line: the program (commander) and the commands it registers, one module
 * each under `commands/`. Everything they touch from the outside (streams, AWS clients, HTTP,
 * credentials, Ctrl-C) comes in through `CliDeps`, so tests run it in-process.
 */
import { Command, CommanderError } from "commander";
import { version } from "../package.json";
import { CommandContext, type CliDeps } from "./commands/context";
import { drillCommand } from "./commands/drill";
import { latencyCommand, redriveCommand, statusCommand } from "./commands/inspect";
import { loadTestCommand, produceCommand } from "./commands/produce";
import { describeError, EXIT, exitCodeOf } from "./errors";
import { DEFAULT_OUTPUTS_FILE, OUTPUTS_ENV } from "./outputs";

export type { CliDeps };

/** Adds one command, with its options and action, to the program. */
type CommandRegistration = (program: Command, ctx: CommandContext) => void;

/** The commands, in the order `--help` lists them. */
const COMMANDS: readonly CommandRegistration[] = [
  produceCommand,
  loadTestCommand,
  latencyCommand,
  redriveCommand,
  drillCommand,
  statusCommand,
];

const HELP_FOOTER = `
Every command reads the stack outputs file (--outputs, else $${OUTPUTS_ENV}, else
./${DEFAULT_OUTPUTS_FILE}), written by:
  npx cdktf deploy primary secondary --outputs-file ${DEFAULT_OUTPUTS_FILE}
A top-level "_endpoints" object in it ({"<region>": "<url>"}) sends that region's AWS calls to an
AWS-compatible endpoint instead (the local deployment writes one: .local/outputs.json).

Credentials come from the AWS SDK's default chain (environment, profile, SSO, role).
Exit codes: 0 ok, 1 failure at run time, 2 bad command line or input file, 130 stopped by Ctrl-C.`;

function createProgram(ctx: CommandContext): Command {
  const program = new Command("fanout")
    .description("Drive and inspect the multi-region SNS -> SQS fan-out stacks")
    .version(version, "-V, --version", "print the version of this project")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.deps.stdout.write(text),
      writeErr: (text) => ctx.deps.stderr.write(text),
      // Keep commander's suggestion on the error's own line.
      outputError: (text, write) => write(text.replace(/\n\(Did you mean/g, " (did you mean")),
    })
    .addHelpText("after", HELP_FOOTER);
  for (const register of COMMANDS) register(program, ctx);
  return program;
}

/** Runs the CLI on `argv` (arguments after the program name); answers the exit code. */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const ctx = new CommandContext(deps);
  try {
    await createProgram(ctx).parseAsync([...argv], { from: "user" });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander printed its message (or the help) already.
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version")
        return EXIT.ok;
      if (err.code === "commander.help") return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return EXIT.usage;
    }
    ctx.printErr(`error: ${describeError(err)}`);
    return exitCodeOf(err);
  } finally {
    ctx.close();
  }
}
