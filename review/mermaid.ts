/**
 * The fan-out of one stack as a Mermaid flowchart, derived from its Terraform JSON alone:
 * API -> function -> topic -> queues -> consumers, with dead-letter queues, one subgraph per
 * region. Also a structural check of the flowchart subset this module writes.
 */
import { Block, StackIndex } from "../checks/terraform-json";

/** Node shapes this module writes: `[open, close]`. */
const SHAPES = {
  api: ["([", "])"],
  function: ["[", "]"],
  topic: ["{{", "}}"],
  queue: ["[(", ")]"],
  external: ["([", "])"],
} as const;

type Kind = keyof typeof SHAPES;

/** Words Mermaid reads as keywords in a flowchart; never used as ids. */
export const MERMAID_RESERVED = [
  "end",
  "subgraph",
  "graph",
  "flowchart",
  "direction",
  "style",
  "class",
  "classDef",
  "click",
  "linkStyle",
  "default",
  "call",
  "href",
];

/** A Mermaid-safe id: letters, digits and `_`, starting with a letter. */
export function safeId(text: string): string {
  const id = text.replace(/[^A-Za-z0-9_]/g, "_").replace(/^[^A-Za-z]+/, "");
  return id === "" || MERMAID_RESERVED.includes(id) ? `n_${id}` : id;
}

/** A label inside `"..."`: quotes and angle brackets as entities, `<br/>` kept for new lines. */
export function label(...lines: string[]): string {
  const escape = (s: string) =>
    s.replace(/&/g, "#amp;").replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
  return lines.map(escape).join("<br/>");
}

/** Characters an edge label may hold; anything else becomes a space. */
const EDGE_LABEL = /^[A-Za-z0-9 _.,:'()/-]*$/;
const edgeLabel = (text: string) => text.replace(/[^A-Za-z0-9 _.,:'()/-]/g, " ");

interface Node {
  readonly id: string;
  readonly kind: Kind;
  readonly label: string;
  readonly region: string;
}

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  readonly dotted: boolean;
}

const nameOf = (b: Block, attribute = "name") =>
  typeof b.body[attribute] === "string" ? String(b.body[attribute]) : b.id;

function redriveTarget(stack: StackIndex, redrive: unknown): { target?: Block; receives?: number } {
  if (typeof redrive !== "string") return {};
  try {
    const parsed = JSON.parse(redrive) as {
      deadLetterTargetArn?: unknown;
      maxReceiveCount?: unknown;
    };
    return {
      target: stack.target(parsed.deadLetterTargetArn, ["arn"]),
      receives: typeof parsed.maxReceiveCount === "number" ? parsed.maxReceiveCount : undefined,
    };
  } catch {
    return {};
  }
}

/** Home region: where the topics with queue subscriptions live (else the first provider's). */
export function homeRegion(stack: StackIndex): string {
  const fanoutTopics = stack
    .resources("aws_sns_topic_subscription")
    .map((s) => stack.target(s.body.topic_arn, ["arn", "id"]))
    .filter((t): t is Block => t?.type === "aws_sns_topic");
  const regions = [...new Set(fanoutTopics.map((t) => stack.regionOf(t) ?? "unknown"))];
  return regions[0] ?? stack.regions()[0] ?? "unknown";
}

/** Builds the flowchart of one stack. */
export function stackFlowchart(stack: StackIndex): string {
  const ids = new Map<string, string>();
  const used = new Set<string>(["producers"]);
  const nodes: Node[] = [];
  const edges: Edge[] = [];
  const add = (b: Block, kind: Kind, text: string) => {
    let id = safeId(`${kind}_${b.id}`);
    for (let n = 2; used.has(id); n++) id = safeId(`${kind}_${b.id}_${n}`);
    used.add(id);
    ids.set(b.address, id);
    nodes.push({ id, kind, label: text, region: stack.regionOf(b) ?? "unknown" });
  };
  const idOf = (b: Block | undefined) => (b ? ids.get(b.address) : undefined);
  const edge = (from: string | undefined, to: string | undefined, text: string, dotted = false) => {
    if (from && to) edges.push({ from, to, label: text, dotted });
  };

  const dlqs = new Set<string>();
  for (const b of [
    ...stack.resources("aws_sqs_queue"),
    ...stack.resources("aws_sns_topic_subscription"),
  ]) {
    const { target } = redriveTarget(stack, b.body.redrive_policy);
    if (target && target.address !== b.address) dlqs.add(target.address);
  }
  for (const api of stack.resources("aws_api_gateway_rest_api")) {
    add(api, "api", label(`REST API ${nameOf(api)}`));
  }
  for (const fn of stack.resources("aws_lambda_function")) {
    add(fn, "function", label(`Lambda ${nameOf(fn, "function_name")}`));
  }
  for (const topic of stack.resources("aws_sns_topic")) {
    add(topic, "topic", label(`SNS ${nameOf(topic)}`));
  }
  for (const queue of stack.resources("aws_sqs_queue")) {
    add(
      queue,
      "queue",
      label(`SQS ${nameOf(queue)}`, ...(dlqs.has(queue.address) ? ["dead-letter queue"] : [])),
    );
  }

  // Producers call each API; each API route reaches its function.
  const routes = new Map<string, string[]>();
  for (const integration of stack.resources("aws_api_gateway_integration")) {
    const api = stack.target(integration.body.rest_api_id, ["id"]);
    const fn = stack.target(integration.body.uri, ["invoke_arn", "arn"]);
    const resource = stack.target(integration.body.resource_id, ["id"]);
    const method =
      stack.target(integration.body.http_method, ["http_method"]) ??
      stack
        .resources("aws_api_gateway_method")
        .find(
          (m) =>
            stack.target(m.body.resource_id, ["id"])?.address === resource?.address &&
            m.body.http_method === integration.body.http_method,
        );
    const verb = String(method?.body.http_method ?? integration.body.http_method);
    if (!api || !fn) continue;
    const authorization = method?.body.authorization;
    const auth =
      authorization === undefined
        ? ""
        : authorization === "NONE"
          ? " without auth"
          : ` with ${String(authorization)}`;
    const key = `${api.address}\u0000${fn.address}`;
    routes.set(key, [
      ...(routes.get(key) ?? []),
      `${verb} /${String(resource?.body.path_part ?? "")}${auth}`,
    ]);
  }
  const apis = stack.resources("aws_api_gateway_rest_api");
  for (const api of apis) edge("producers", idOf(api), "SigV4");
  for (const [key, list] of [...routes].sort()) {
    const [apiAddress, fnAddress] = key.split("\u0000");
    edge(idOf(stack.block(apiAddress)), idOf(stack.block(fnAddress)), list.sort().join(", "));
  }

  // A function publishes to a topic its role may sns:Publish to.
  for (const fn of stack.resources("aws_lambda_function")) {
    const role = stack.target(fn.body.role, ["arn"]);
    if (!role) continue;
    for (const rp of stack.resources("aws_iam_role_policy")) {
      if (stack.target(rp.body.role, ["name", "id"])?.address !== role.address) continue;
      const source = stack.policy(rp.body.policy);
      if (!source || source.kind === "opaque") continue;
      for (const s of source.statements) {
        if (s.effect !== "Allow" || !s.actions.includes("sns:Publish")) continue;
        for (const r of s.resources) {
          const topic = stack.target(r, ["arn", "id"]);
          if (topic?.type === "aws_sns_topic") edge(idOf(fn), idOf(topic), "Publish");
        }
      }
    }
  }

  for (const sub of stack.resources("aws_sns_topic_subscription")) {
    const topic = stack.target(sub.body.topic_arn, ["arn", "id"]);
    const endpoint = stack.target(sub.body.endpoint, ["arn"]);
    edge(idOf(topic), idOf(endpoint), `${String(sub.body.protocol)} subscription`);
    const { target } = redriveTarget(stack, sub.body.redrive_policy);
    edge(idOf(topic), idOf(target), "failed deliveries", true);
  }
  for (const queue of stack.resources("aws_sqs_queue")) {
    const { target, receives } = redriveTarget(stack, queue.body.redrive_policy);
    if (target && target.address !== queue.address) {
      edge(idOf(queue), idOf(target), receives ? `after ${receives} receives` : "redrive", true);
    }
  }
  for (const mapping of stack.resources("aws_lambda_event_source_mapping")) {
    const queue = stack.target(mapping.body.event_source_arn, ["arn"]);
    const fn = stack.target(mapping.body.function_name, ["arn", "function_name"]);
    edge(idOf(queue), idOf(fn), mapping.body.enabled === false ? "polls (disabled)" : "polls");
  }

  const home = homeRegion(stack);
  const regions = [home, ...stack.regions().filter((r) => r !== home)];
  for (const n of nodes) if (!regions.includes(n.region)) regions.push(n.region);
  const lines = ["flowchart LR"];
  if (apis.length > 0)
    lines.push(`  producers${SHAPES.external[0]}"producers"${SHAPES.external[1]}`);
  for (const region of regions) {
    const inRegion = nodes.filter((n) => n.region === region);
    if (inRegion.length === 0) continue;
    const title = region === home ? `${region} (home)` : region;
    lines.push(`  subgraph ${safeId(`region_${region}`)}["${label(title)}"]`);
    for (const n of inRegion)
      lines.push(`    ${n.id}${SHAPES[n.kind][0]}"${n.label}"${SHAPES[n.kind][1]}`);
    lines.push("  end");
  }
  for (const e of edges) {
    lines.push(`  ${e.from} ${e.dotted ? "-.->" : "-->"}|${edgeLabel(e.label)}| ${e.to}`);
  }
  return lines.join("\n");
}

const OPENERS: readonly (readonly [string, string])[] = [
  ["([", "])"],
  ["[(", ")]"],
  ["[[", "]]"],
  ["((", "))"],
  ["{{", "}}"],
  ["[/", "/]"],
  ["[", "]"],
  ["(", ")"],
  ["{", "}"],
  [">", "]"],
];
const ID = "[A-Za-z][A-Za-z0-9_]*";
const ARROW = "(?:-->|-\\.->|==>|---)";

/**
 * Problems of a flowchart in the subset this module writes (an empty list means well-formed):
 * a `flowchart <direction>` header; node declarations `id<shape>"label"<shape>`; subgraphs
 * `subgraph id["label"]` closed by `end`; edges `a --> b` or `a -->|label| b`. Every id safe and
 * declared once, every edge endpoint declared, every subgraph closed.
 */
export function flowchartProblems(text: string): string[] {
  const problems: string[] = [];
  const declared = new Map<string, number>();
  const edges: { from: string; to: string; line: number }[] = [];
  const open: { id: string; line: number }[] = [];
  const lines = text.split("\n");
  if (!/^flowchart (LR|RL|TB|TD|BT)$/.test(lines[0] ?? "")) {
    problems.push(`line 1: expected "flowchart <direction>", got ${JSON.stringify(lines[0])}`);
  }
  const declare = (id: string, line: number) => {
    if (MERMAID_RESERVED.includes(id)) problems.push(`line ${line}: id "${id}" is a keyword`);
    if (declared.has(id)) {
      problems.push(`line ${line}: "${id}" declared again (first on line ${declared.get(id)})`);
    } else {
      declared.set(id, line);
    }
  };
  const quoted = (inner: string, line: number) => {
    if (!/^"[^"]*"$/.test(inner))
      problems.push(`line ${line}: label ${inner} is not one quoted string`);
  };
  lines.slice(1).forEach((raw, i) => {
    const n = i + 2;
    const line = raw.trim();
    if (line === "" || line.startsWith("%%")) return;
    if (line === "end") {
      if (!open.pop()) problems.push(`line ${n}: "end" closes no subgraph`);
      return;
    }
    const sub = new RegExp(`^subgraph (${ID})\\[(.*)\\]$`).exec(line);
    if (sub) {
      declare(sub[1], n);
      quoted(sub[2], n);
      open.push({ id: sub[1], line: n });
      return;
    }
    const edge = new RegExp(`^(${ID}) ${ARROW}(?:\\|([^|]*)\\|)? (${ID})$`).exec(line);
    if (edge) {
      if (edge[2] !== undefined && !EDGE_LABEL.test(edge[2])) {
        problems.push(`line ${n}: edge label ${JSON.stringify(edge[2])} has unsafe characters`);
      }
      edges.push({ from: edge[1], to: edge[3], line: n });
      return;
    }
    const node = new RegExp(`^(${ID})(.*)$`).exec(line);
    const shape = node && OPENERS.find(([o, c]) => node[2].startsWith(o) && node[2].endsWith(c));
    if (node && shape) {
      declare(node[1], n);
      quoted(node[2].slice(shape[0].length, node[2].length - shape[1].length), n);
      return;
    }
    problems.push(`line ${n}: not a node, edge or subgraph line: ${JSON.stringify(line)}`);
  });
  for (const s of open) problems.push(`line ${s.line}: subgraph "${s.id}" is never closed`);
  for (const e of edges) {
    for (const end of [e.from, e.to]) {
      if (!declared.has(end))
        problems.push(`line ${e.line}: edge endpoint "${end}" is not declared`);
    }
  }
  return problems;
}
