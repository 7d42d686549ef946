/** docs/configuration.md is generated from the settings table and must not go stale. */
import { readFileSync } from "node:fs";
import {
  CONFIGURATION_DOC,
  renderConfigurationDoc,
  settingRows,
  shownDefault,
} from "../scripts/configuration-doc";

describe("docs/configuration.md", () => {
  it("is what `npm run docs:config` writes from config/settings.ts (run it when this fails)", () => {
    expect(readFileSync(CONFIGURATION_DOC, "utf8")).toBe(renderConfigurationDoc());
  });

  it("shows every setting with its description and what is allowed", () => {
    const doc = renderConfigurationDoc();
    for (const row of settingRows()) {
      const line = doc.split("\n").find((l) => l.startsWith(`| \`${row.key}\``));
      expect(line).toContain(row.description.replace(/\|/g, "\\|"));
      expect(line).toContain(row.allowed);
    }
  });
});

describe("shownDefault", () => {
  it("spells defaults as cdktf.json does", () => {
    expect(shownDefault("fanout")).toBe("fanout");
    expect(shownDefault("")).toBe('""');
    expect(shownDefault(true)).toBe("true");
    expect(
      shownDefault([
        ["primary", "us-east-1"],
        ["secondary", "us-west-2"],
      ]),
    ).toBe('{"primary": "us-east-1", "secondary": "us-west-2"}');
  });
});
