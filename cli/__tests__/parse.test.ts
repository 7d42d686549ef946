import fc from "fast-check";
import { formatDuration, parseDuration, parseNameList, parsePositiveInt } from "../parse";

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["1.5s", 1500],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["2", 2000],
  ])("reads %s", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "0", "0s", "-1s", "5 minutes", "1d", "abc", "1e3"])("throws on %p", (text) => {
    expect(() => parseDuration(text)).toThrow("expected a duration such as 500ms, 30s, 5m or 1h.");
  });

  it("reads back what formatDuration prints for whole seconds", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 59 }), (s) => {
        expect(parseDuration(formatDuration(s * 1000).replace(" ", ""))).toBe(s * 1000);
      }),
    );
  });
});

describe("parsePositiveInt", () => {
  it("reads whole numbers of at least 1", () => {
    expect(parsePositiveInt("25")).toBe(25);
  });
  it.each(["0", "-3", "2.5", "ten", "", "99999999999999999999"])("throws on %p", (text) => {
    expect(() => parsePositiveInt(text)).toThrow("expected a whole number of at least 1.");
  });
});

describe("parseNameList", () => {
  it("splits on commas", () => {
    expect(parseNameList("primary, secondary")).toEqual(["primary", "secondary"]);
  });
  it("throws on empty names and repeats", () => {
    expect(() => parseNameList("a,,b")).toThrow("expected names separated by commas");
    expect(() => parseNameList("a,b,a")).toThrow('"a" is given twice.');
  });
});

describe("formatDuration", () => {
  it("prints people-sized units", () => {
    expect(formatDuration(250)).toBe("250 ms");
    expect(formatDuration(12_500)).toBe("12.5 s");
    expect(formatDuration(900_000)).toBe("15m");
    expect(formatDuration(3_725_000)).toBe("1h 2m 5s");
  });
});
