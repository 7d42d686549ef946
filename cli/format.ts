/** Plain-text output helpers: aligned tables, per-stack counts, seq ranges. */

/**
 * Formats rows under a header. Columns are separated by two spaces; columns whose index is in
 * `rightAligned` (numbers) are right-aligned.
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  rightAligned: readonly number[] = [],
): string {
  const all = [header, ...rows];
  const widths = header.map((_, col) => Math.max(...all.map((row) => (row[col] ?? "").length)));
  return all
    .map((row) =>
      widths
        .map((width, col) => {
          const cell = row[col] ?? "";
          return rightAligned.includes(col) ? cell.padStart(width) : cell.padEnd(width);
        })
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** Counts per stack, in first-seen order: `primary 27, secondary 3`. */
export function countByStack(deliveries: readonly { readonly stack: string }[]): string {
  const counts = new Map<string, number>();
  for (const { stack } of deliveries) counts.set(stack, (counts.get(stack) ?? 0) + 1);
  return [...counts].map(([stack, n]) => `${stack} ${n}`).join(", ") || "none";
}

/** Seq numbers as compact ranges: `1-3, 7, 9-10`. */
export function seqRanges(seqs: readonly number[]): string {
  const sorted = [...seqs].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j += 1;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(", ");
}
