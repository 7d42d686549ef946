/**
 * The review report of synthesized stacks, in Markdown: per stack its regions, resources by type
 * and region, a Mermaid flowchart of the fan-out, each role's permissions, the policy-check
 * results (every rule, whether it holds, and each violation) and, given an earlier synth, what
 * changed since. Deterministic: the same JSON gives the same bytes.
 */
import { RULES, Violation } from "../checks/rules";
import { StackIndex } from "../inspect/stack-index";
import { Block, readableReference, referencesInString, StackJson } from "../inspect/terraform-json";
import { AttributeChange, diffStacks, StackDiff } from "./diff";
import { stackFlowchart } from "./mermaid";

/** Column of global (region-less) resources: IAM. */
export const GLOBAL = "global";

export interface ResourceCounts {
  /** Home region first, then the other regions, then `global` when there are IAM resources. */
  readonly columns: readonly string[];
  /** Resource type -> column -> count, types sorted. */
  readonly byType: ReadonlyMap<string, ReadonlyMap<string, number>>;
  readonly total: number;
}

/** The region column of a resource: its provider's region, or `global` for IAM. */
export function regionColumn(stack: StackIndex, block: Block): string {
  return block.type.startsWith("aws_iam_") ? GLOBAL : (stack.regionOf(block) ?? "unknown");
}

/** Managed resources of a stack counted by type and region. */
export function countResources(stack: StackIndex): ResourceCounts {
  const byType = new Map<string, Map<string, number>>();
  const seen = new Set<string>();
  const resources = stack.resources();
  for (const r of resources) {
    const column = regionColumn(stack, r);
    seen.add(column);
    const row = byType.get(r.type) ?? new Map<string, number>();
    row.set(column, (row.get(column) ?? 0) + 1);
    byType.set(r.type, row);
  }
  const regional = stack.regionsHomeFirst().filter((r) => seen.has(r));
  const others = [...seen].filter((c) => !regional.includes(c) && c !== GLOBAL).sort();
  const columns = [...regional, ...others, ...(seen.has(GLOBAL) ? [GLOBAL] : [])];
  const sorted = new Map([...byType].sort(([a], [b]) => a.localeCompare(b)));
  return { columns, byType: sorted, total: resources.length };
}

/** A Markdown table cell: pipes escaped, new lines as `<br>`. */
export function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, "<br>");
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

const code = (text: string) => (text === "" ? "" : `\`${text.replace(/`/g, "'")}\``);

/** A resource of a statement for people: `aws_sqs_queue.q.arn (fanout-primary-active)`. */
export function readableResource(stack: StackIndex, resource: string): string {
  const names = referencesInString(resource)
    .map((r) => stack.block(r.address))
    .map((b) => b?.body.name ?? b?.body.function_name)
    .filter((n): n is string => typeof n === "string");
  const text = code(readableReference(resource));
  return names.length > 0 ? `${text} (${names.join(", ")})` : text;
}

/** Rows role | assumed by | policy | effect | actions | resources, one per statement. */
export function permissionRows(stack: StackIndex): string[][] {
  const rows: string[][] = [];
  const roles = [...stack.resources("aws_iam_role")].sort((a, b) =>
    String(a.body.name ?? a.id).localeCompare(String(b.body.name ?? b.id)),
  );
  for (const role of roles) {
    const trust = stack.policy(role.body.assume_role_policy);
    const assumedBy =
      trust && trust.kind !== "opaque"
        ? [...new Set(trust.statements.flatMap((s) => s.principals.flatMap((p) => p.identifiers)))]
            .sort()
            .join(", ")
        : "(unreadable)";
    const policies = stack
      .resources("aws_iam_role_policy")
      .filter((p) => stack.target(p.body.role, ["name", "id"])?.address === role.address)
      .sort((a, b) => String(a.body.name ?? a.id).localeCompare(String(b.body.name ?? b.id)));
    const roleName = code(String(role.body.name ?? role.address));
    if (policies.length === 0) rows.push([roleName, assumedBy, "(none)", "", "", ""]);
    for (const p of policies) {
      const source = stack.policy(p.body.policy);
      const policyName = String(p.body.name ?? p.id);
      if (!source || source.kind === "opaque") {
        rows.push([roleName, assumedBy, policyName, "?", "(unreadable policy)", ""]);
        continue;
      }
      for (const s of source.statements) {
        rows.push([
          roleName,
          assumedBy,
          policyName,
          s.effect,
          [...s.actions, ...s.notActions.map((a) => `NOT ${a}`)].map(code).join("<br>"),
          [
            ...s.resources.map((r) => readableResource(stack, r)),
            ...s.notResources.map((r) => `NOT ${r}`),
          ].join("<br>"),
        ]);
      }
    }
  }
  return rows;
}

/** Rows queue | queue region | subscribed in | raw delivery | filter scope | filter policy. */
export function subscriptionRows(stack: StackIndex): string[][] {
  return stack
    .resources("aws_sns_topic_subscription")
    .filter((sub) => sub.body.protocol === "sqs")
    .map((sub) => {
      const queue = stack.target(sub.body.endpoint, ["arn"]);
      const policy = sub.body.filter_policy;
      return [
        code(String(queue?.body.name ?? readableReference(String(sub.body.endpoint)))),
        queue ? (stack.regionOf(queue) ?? "unknown") : "unknown",
        stack.regionOf(sub) ?? "unknown",
        sub.body.raw_message_delivery === true ? "on" : "off",
        typeof policy === "string"
          ? String(sub.body.filter_policy_scope ?? "MessageAttributes")
          : "",
        typeof policy === "string" ? code(policy) : "(none: every message)",
      ];
    })
    .sort((a, b) => a[0].localeCompare(b[0]));
}

/**
 * One sentence on a FIFO unit (setting `fifo`): its topic's deduplication and throughput, and
 * whether every queue is FIFO; `""` for a standard unit.
 */
export function fifoSentence(stack: StackIndex): string {
  const topics = stack.resources("aws_sns_topic").filter((t) => t.body.fifo_topic === true);
  if (topics.length === 0) return "";
  const queues = stack.resources("aws_sqs_queue");
  const fifoQueues = queues.filter((q) => q.body.fifo_queue === true).length;
  return topics
    .map(
      (t) =>
        ` FIFO topic ${code(String(t.body.name))}: content-based deduplication ` +
        `${t.body.content_based_deduplication === true ? "on" : "off"}, throughput scope ` +
        `${String(t.body.fifo_throughput_scope ?? "Topic")}; ${fifoQueues} of ${queues.length} queues FIFO.`,
    )
    .join("");
}

function countsSection(counts: ResourceCounts): string {
  const rows = [...counts.byType].map(([type, row]) => {
    const values = counts.columns.map((c) => row.get(c) ?? 0);
    return [
      code(type),
      ...values.map((v) => (v === 0 ? "" : String(v))),
      String(values.reduce((a, b) => a + b, 0)),
    ];
  });
  const totals = counts.columns.map((c) =>
    [...counts.byType.values()].reduce((n, row) => n + (row.get(c) ?? 0), 0),
  );
  rows.push(["**total**", ...totals.map((t) => `**${t}**`), `**${counts.total}**`]);
  return table(["type", ...counts.columns, "total"], rows);
}

const show = (value: unknown): string => {
  if (value === undefined) return "(none)";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

function changeText(c: AttributeChange): string {
  return `${code(c.path)}: ${code(show(c.before))} → ${code(show(c.after))}`;
}

function diffSection(diff: StackDiff): string {
  if (diff.status === "unchanged") return "No change.";
  if (diff.status === "added") return `New stack: ${diff.added.length} blocks added.`;
  if (diff.status === "removed") return `Stack removed: ${diff.removed.length} blocks removed.`;
  const parts = [
    `${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed.`,
  ];
  if (diff.added.length > 0)
    parts.push(`Added:\n\n${diff.added.map((a) => `- ${code(a)}`).join("\n")}`);
  if (diff.removed.length > 0) {
    parts.push(`Removed:\n\n${diff.removed.map((a) => `- ${code(a)}`).join("\n")}`);
  }
  if (diff.changed.length > 0) {
    const limit = 8;
    parts.push(
      `Changed:\n\n${diff.changed
        .map((c) => {
          const shown = c.changes.slice(0, limit).map((x) => `  - ${changeText(x)}`);
          const more = c.changes.length > limit ? [`  - and ${c.changes.length - limit} more`] : [];
          return [`- ${code(c.address)}`, ...shown, ...more].join("\n");
        })
        .join("\n")}`,
    );
  }
  return parts.join("\n\n");
}

/** Every rule, whether it holds in a stack (given that stack's violations), and what it asks. */
function ruleResults(own: readonly Violation[]): string {
  const rows = RULES.map((rule) => {
    const n = own.filter((v) => v.rule === rule.id).length;
    return [code(rule.id), n === 0 ? "holds" : `**${n} violation(s)**`, rule.description];
  });
  return table(["rule", "result", "what must hold"], rows);
}

export interface ReportInput {
  readonly stacks: readonly StackJson[];
  /** Result of the policy rules over `stacks`. */
  readonly violations: readonly Violation[];
  /** An earlier synth to compare with, and how to name it in the report. */
  readonly base?: { readonly stacks: readonly StackJson[]; readonly label: string };
}

/** The whole report. */
export function buildReport(input: ReportInput): string {
  const { stacks, violations, base } = input;
  const diffs = base ? diffStacks(base.stacks, stacks) : [];
  const out: string[] = [
    "# Infrastructure review",
    "",
    `Stacks: ${stacks.map((s) => code(s.name)).join(", ")}. ` +
      `Policy checks: ${RULES.length} rules, ${violations.length === 0 ? "no violations" : `**${violations.length} violation(s)**`}.` +
      (base ? ` Compared with ${code(base.label)}.` : ""),
  ];
  for (const stack of stacks) {
    const index = new StackIndex(stack);
    const home = index.homeRegion();
    const counts = countResources(index);
    const replicas = index.regions().filter((r) => r !== home);
    const own = violations.filter((v) => v.stack === stack.name);
    const permissions = permissionRows(index);
    out.push(
      "",
      `## Stack ${code(stack.name)}`,
      "",
      `Home region ${code(home)}; replica regions ${replicas.map(code).join(", ") || "(none)"}. ` +
        `${counts.total} resources.${fifoSentence(index)}`,
      "",
      "### Resources by type and region",
      "",
      countsSection(counts),
      "",
      "### Fan-out",
      "",
      "```mermaid",
      stackFlowchart(index),
      "```",
      "",
      "### Subscriptions",
      "",
      table(
        ["queue", "queue region", "subscribed in", "raw delivery", "filter scope", "filter policy"],
        subscriptionRows(index),
      ),
      "",
      "### Role permissions",
      "",
      permissions.length > 0
        ? table(["role", "assumed by", "policy", "effect", "actions", "resources"], permissions)
        : "No roles.",
      "",
      "### Policy checks",
      "",
      own.length === 0
        ? `No violations of the ${RULES.length} rules.`
        : table(
            ["rule", "resource", "why"],
            own.map((v) => [code(v.rule), code(v.address), v.why]),
          ),
      "",
      ruleResults(own),
    );
    const diff = diffs.find((d) => d.stack === stack.name);
    if (diff) out.push("", `### Changes since ${code(base!.label)}`, "", diffSection(diff));
  }
  for (const diff of diffs.filter((d) => d.status === "removed")) {
    out.push("", `## Stack ${code(diff.stack)} (removed)`, "", diffSection(diff));
  }
  return `${out.join("\n")}\n`;
}

/** Every Mermaid block of a Markdown text. */
export function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid\n([\s\S]*?)\n```$/gm)].map((m) => m[1]);
}
