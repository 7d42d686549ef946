/**
 * What changed between two synth outputs, per stack: blocks added, removed and changed, with
 * the changed attributes. cdktf's `//` metadata is ignored: it changes with construct paths,
 * not with infrastructure.
 */
import { StackIndex } from "../inspect/stack-index";
import { StackJson } from "../inspect/terraform-json";

export interface AttributeChange {
  /** Dotted path of the attribute, `[i]` for list items: `environment.variables.X`. */
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface BlockChange {
  readonly address: string;
  readonly changes: readonly AttributeChange[];
}

export interface StackDiff {
  readonly stack: string;
  readonly status: "added" | "removed" | "changed" | "unchanged";
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly BlockChange[];
}

/** Leaf values of a JSON value by path (`a.b[0].c`), metadata `//` left out. */
export function leaves(value: unknown, path = ""): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const visit = (v: unknown, p: string) => {
    if (Array.isArray(v)) {
      if (v.length === 0) out.set(p, []);
      v.forEach((item, i) => visit(item, `${p}[${i}]`));
    } else if (typeof v === "object" && v !== null) {
      const entries = Object.entries(v).filter(([k]) => k !== "//");
      if (entries.length === 0) out.set(p, {});
      for (const [k, inner] of entries) visit(inner, p === "" ? k : `${p}.${k}`);
    } else {
      out.set(p, v);
    }
  };
  visit(value, path);
  return out;
}

/** Attribute-level differences of two block bodies. */
export function attributeChanges(before: unknown, after: unknown): AttributeChange[] {
  const a = leaves(before);
  const b = leaves(after);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const changes: AttributeChange[] = [];
  for (const path of paths) {
    const x = a.get(path);
    const y = b.get(path);
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    changes.push({
      path,
      ...(a.has(path) ? { before: x } : {}),
      ...(b.has(path) ? { after: y } : {}),
    });
  }
  return changes;
}

function blocksOf(stack: StackJson | undefined): Map<string, unknown> {
  if (!stack) return new Map();
  return new Map(new StackIndex(stack).blocks.map((b) => [b.address, b.body]));
}

/** Differences per stack, for every stack in either output, sorted by stack name. */
export function diffStacks(base: readonly StackJson[], head: readonly StackJson[]): StackDiff[] {
  const names = [...new Set([...base, ...head].map((s) => s.name))].sort();
  return names.map((name) => {
    const before = base.find((s) => s.name === name);
    const after = head.find((s) => s.name === name);
    const a = blocksOf(before);
    const b = blocksOf(after);
    const added = [...b.keys()].filter((k) => !a.has(k)).sort();
    const removed = [...a.keys()].filter((k) => !b.has(k)).sort();
    const changed = [...b.keys()]
      .filter((k) => a.has(k))
      .sort()
      .map((address) => ({ address, changes: attributeChanges(a.get(address), b.get(address)) }))
      .filter((c) => c.changes.length > 0);
    const status = !before
      ? "added"
      : !after
        ? "removed"
        : added.length + removed.length + changed.length > 0
          ? "changed"
          : "unchanged";
    return { stack: name, status, added, removed, changed };
  });
}
