import { App } from "cdktf";
import { ConfigError, CONTEXT_KEY, loadConfig } from "./config/config";
import { createStacks } from "./stacks/fanout-stack";

const app = new App();
try {
  const config = loadConfig({ context: app.node.tryGetContext(CONTEXT_KEY), env: process.env });
  createStacks(app, config);
} catch (error) {
  if (error instanceof ConfigError) {
    // One line that names the setting, the value and what is allowed; no stack trace.
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
app.synth();
