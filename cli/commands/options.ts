/** Option builders shared by the commands of the `fanout` CLI. */
import { Command, Option } from "commander";
import { MAX_CLI_ATTRIBUTES, parseAttributeOption } from "../attributes";
import { DEFAULT_FAIL_BACK_AFTER } from "../failover-controller";
import { parseMessageGroupId } from "../message-groups";
import { DEFAULT_OUTPUTS_FILE, OUTPUTS_ENV } from "../outputs";
import { parseDuration, parseNameList, parsePositiveInt } from "../parse";
import { VIAS } from "../senders";

export function durationOption(
  flags: string,
  description: string,
  defaultMs?: number,
  shown?: string,
): Option {
  const option = new Option(flags, description).argParser(parseDuration);
  return defaultMs === undefined ? option : option.default(defaultMs, shown);
}

export function intOption(flags: string, description: string, defaultValue?: number): Option {
  const option = new Option(flags, description).argParser(parsePositiveInt);
  return defaultValue === undefined ? option : option.default(defaultValue);
}

/** `--max-attempts <n>`: a whole number of at least 1 with its meaning for the command. */
export function maxAttemptsOption(meaning: string, defaultValue: number): Option {
  return intOption("--max-attempts <n>", meaning, defaultValue);
}

/** --attribute, repeated: message attributes on every message, for subscription filters. */
export function attributeOption(): Option {
  return new Option(
    "--attribute <name=value>",
    `message attribute on every message, for subscription filter policies; repeat for more (at most ${MAX_CLI_ATTRIBUTES}); name:Number=42 for a number`,
  ).argParser(parseAttributeOption);
}

/** --message-group-id and --message-groups: the groups of messages sent to FIFO units. */
export function addMessageGroupOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--message-group-id <id>",
        "FIFO units: the message group of every message (default: the producer id)",
      ).argParser(parseMessageGroupId),
    )
    .addOption(
      intOption(
        "--message-groups <n>",
        "FIFO units: spread the messages over n groups <producer>-0.. by sequence number",
      ),
    );
}

/** --outputs and --stacks, which every command has. */
export function addCommonOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--outputs <file>", "stack outputs file written by cdktf deploy --outputs-file")
        .default(DEFAULT_OUTPUTS_FILE)
        .env(OUTPUTS_ENV),
    )
    .addOption(
      new Option(
        "--stacks <names>",
        "stacks to use, comma-separated, in preference order (default: the file's order)",
      ).argParser(parseNameList),
    );
}

/** The options of produce and load-test: where to send, how, and when to fail over. */
export function addSendOptions(command: Command): Command {
  return addMessageGroupOptions(command)
    .addOption(new Option("--stack <name>", "stack to send to (default: the first stack)"))
    .addOption(
      new Option(
        "--via <path>",
        "sns: publish to the topic; api: signed POST /messages; sqs: straight to the active queue",
      )
        .choices(VIAS)
        .default("sns"),
    )
    .addOption(attributeOption())
    .addOption(
      new Option(
        "--producer <id>",
        "producer id written into each message (default: <host>-<pid>)",
      ),
    )
    .addOption(
      durationOption(
        "--timeout <duration>",
        "time limit of one call; a timeout counts as a failure",
        5000,
        "5s",
      ),
    )
    .addOption(new Option("--failover", "switch to the next stack after repeated failures"))
    .addOption(intOption("--failover-after <n>", "consecutive failures that trigger a failover", 3))
    .addOption(
      new Option(
        "--fail-back",
        "return to the first stack once its health check answers 200 --fail-back-after times in a row (needs --failover)",
      ),
    )
    .addOption(
      intOption(
        "--fail-back-after <n>",
        "healthy checks in a row before returning to the first stack",
        DEFAULT_FAIL_BACK_AFTER,
      ),
    )
    .addOption(
      durationOption(
        "--health-interval <duration>",
        "time between health checks of the first stack with --fail-back",
        5000,
        "5s",
      ),
    );
}
