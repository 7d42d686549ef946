/**
 * Entry point of the `fanout` tool: `ts-node cli/main.ts <command> [options]`. It only connects
 * the real process (streams, AWS SDK, HTTP, Ctrl-C) to `runCli`.
 */
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import { createAwsClients, type Credentials } from "./aws";
import { EXIT } from "./errors";
import { nodeHttpClient } from "./http";
import { runCli } from "./program";

// The AWS SDK warns (8 lines, before any output) that its releases after January 2027 need
// Node 22; this tool runs on Node 20 until then. Set before any client is made.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

function main(): void {
  let credentials: Credentials | undefined;
  const sharedCredentials = (): Credentials => (credentials ??= fromNodeProviderChain());
  let interrupts = 0;
  runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    aws: (endpoints) => createAwsClients(sharedCredentials(), endpoints),
    credentials: sharedCredentials,
    http: nodeHttpClient,
    onInterrupt: (handler) => {
      const listener = (): void => {
        interrupts += 1;
        if (interrupts > 1) process.exit(EXIT.interrupted);
        handler();
      };
      process.on("SIGINT", listener);
      return () => process.off("SIGINT", listener);
    },
  }).then(
    (code) => {
      // Exit once the output is flushed; idle keep-alive sockets must not hold the process.
      process.stdout.write("", () => process.exit(code));
    },
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(EXIT.failure);
    },
  );
}

main();
