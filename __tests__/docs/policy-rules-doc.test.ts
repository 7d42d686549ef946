/**
 * docs/development.md names every policy rule, and no other, and lists the narrowing condition
 * keys the checker uses.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { NARROWING_CONDITION_KEYS, RULES } from "../../checks/rules";
import { PROJECT_ROOT } from "../../inspect/synth";

const doc = readFileSync(join(PROJECT_ROOT, "docs", "development.md"), "utf8");
const section = doc.slice(doc.indexOf("### Policy rules"), doc.indexOf("## Toolchain"));

describe("the policy rules section of docs/development.md", () => {
  it("has one row per rule, in the order the checker prints them", () => {
    const rows = [...section.matchAll(/^\| `([a-z0-9-]+)` +\|/gm)].map((m) => m[1]);
    expect(rows).toEqual(RULES.map((r) => r.id));
  });

  it("lists exactly the condition keys that narrow who may act", () => {
    const paragraph = section.slice(section.indexOf("A condition makes"));
    const keys = [...paragraph.matchAll(/`(aws:[A-Za-z]+)`/g)]
      .map((m) => m[1])
      .filter((k) => k !== "aws:SecureTransport");
    expect(keys.sort()).toEqual(Object.keys(NARROWING_CONDITION_KEYS).sort());
  });
});
