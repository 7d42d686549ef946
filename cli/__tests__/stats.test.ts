import fc from "fast-check";
import { formatMs, percentile, percentiles } from "../stats";
import { countByStack, formatTable, seqRanges } from "../format";

describe("percentile", () => {
  it("uses the nearest rank", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentiles(values)).toEqual({ p50: 50, p90: 90, p99: 99 });
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeUndefined();
  });

  it("answers one of the values, rising with p", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1 }), (values) => {
        const p = percentiles(values);
        expect(values).toContain(p.p50);
        expect(p.p50!).toBeLessThanOrEqual(p.p90!);
        expect(p.p90!).toBeLessThanOrEqual(p.p99!);
        expect(percentile(values, 100)).toBe(Math.max(...values));
      }),
    );
  });
});

describe("formatMs", () => {
  it("prints - for missing values, never NaN", () => {
    expect(formatMs(undefined)).toBe("-");
    expect(formatMs(NaN)).toBe("-");
    expect(formatMs(12.345)).toBe("12.3");
    expect(formatMs(-3)).toBe("-3.0");
    expect(formatMs(1234.6)).toBe("1235");
  });
});

describe("formatTable", () => {
  it("aligns columns, numbers to the right", () => {
    expect(
      formatTable(
        ["name", "n"],
        [
          ["a", "1"],
          ["bbb", "22"],
        ],
        [1],
      ),
    ).toBe(["name   n", "a      1", "bbb   22"].join("\n"));
  });
});

describe("seqRanges and countByStack", () => {
  it("compacts seq numbers into ranges", () => {
    expect(seqRanges([9, 1, 2, 3, 7, 10])).toBe("1-3, 7, 9-10");
    expect(seqRanges([])).toBe("");
  });
  it("counts per stack in first-seen order", () => {
    expect(countByStack([{ stack: "b" }, { stack: "a" }, { stack: "b" }])).toBe("b 2, a 1");
    expect(countByStack([])).toBe("none");
  });
});
