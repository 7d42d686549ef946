/** Plain-text tables with aligned columns. */

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
