// Parses the Mermaid text on standard input with the `mermaid` package and exits 0 when it
// parses, 1 with the parser's message when it does not. Needs the devDependencies `mermaid`
// and `jsdom`: mermaid sanitizes labels with DOMPurify, which needs a DOM even to parse.
import { readFileSync } from "node:fs";
import process from "node:process";
import { JSDOM } from "jsdom";

const { window } = new JSDOM("<!doctype html><html><body></body></html>");
const globals = {
  window,
  document: window.document,
  DOMParser: window.DOMParser,
  Element: window.Element,
  HTMLElement: window.HTMLElement,
  Node: window.Node,
};
for (const [name, value] of Object.entries(globals)) {
  if (!(name in globalThis)) {
    Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
}

const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
try {
  const result = await mermaid.parse(readFileSync(0, "utf8"));
  process.stdout.write(`${JSON.stringify({ diagramType: result.diagramType })}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
