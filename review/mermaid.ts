/**
 * The fan-out of one stack as a Mermaid flowchart, derived from its Terraform JSON alone:
 * API -> function -> topic -> queues -> consumers, with dead-letter queues and the tables
 * consumers write (an idempotency store), one subgraph per region. Validating what it writes is the Mermaid parser's job (`mermaid-parser.ts`).
 */
import { StackIndex } from "../inspect/stack-index";
import { asList, Block, referencesInString } from "../inspect/terraform-json";

/** Node shapes this module writes: `[open, close]`. */
const SHAPES = {
  api: ["([", "])"],
  function: ["[", "]"],
  topic: ["{{", "}}"],
  queue: ["[(", ")]"],
  table: ["[[", "]]"],
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
// No parentheses: Mermaid reads `(` in an unquoted edge label as the start of a node shape.
export const EDGE_LABEL = /^[A-Za-z0-9 _.,:'/-]*$/;
const edgeLabel = (text: string) => text.replace(/[^A-Za-z0-9 _.,:'/-]/g, " ");

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

/** A flowchart being built: nodes by block address, and edges between them. */
class Flowchart {
  readonly nodes: Node[] = [];
  readonly edges: Edge[] = [];
  private readonly ids = new Map<string, string>();
  private readonly used = new Set<string>(["producers"]);

  constructor(private readonly stack: StackIndex) {}

  /** A node for a block, in the block's region or, for a copy of it (a replica), in `region`. */
  node(b: Block, kind: Kind, text: string, region?: string): void {
    const suffix = region === undefined ? "" : `_${region}`;
    let id = safeId(`${kind}_${b.id}${suffix}`);
    for (let n = 2; this.used.has(id); n++) id = safeId(`${kind}_${b.id}${suffix}_${n}`);
    this.used.add(id);
    this.ids.set(region === undefined ? b.address : `${b.address}@${region}`, id);
    const at = region ?? this.stack.regionOf(b) ?? "unknown";
    this.nodes.push({ id, kind, label: text, region: at });
  }

  idOf(b: Block | undefined, region?: string): string | undefined {
    if (!b) return undefined;
    return this.ids.get(`${b.address}@${region}`) ?? this.ids.get(b.address);
  }

  edge(from: string | undefined, to: string | undefined, text: string, dotted = false): void {
    if (from && to) this.edges.push({ from, to, label: text, dotted });
  }
}

/** One node per API, function, topic and queue (dead-letter queues said so). */
function addNodes(stack: StackIndex, chart: Flowchart): void {
  const dlqs = stack.deadLetterQueues();
  for (const api of stack.resources("aws_api_gateway_rest_api")) {
    chart.node(api, "api", label(`REST API ${nameOf(api)}`));
  }
  for (const fn of stack.resources("aws_lambda_function")) {
    chart.node(fn, "function", label(`Lambda ${nameOf(fn, "function_name")}`));
  }
  for (const topic of stack.resources("aws_sns_topic")) {
    chart.node(topic, "topic", label(`SNS ${nameOf(topic)}`));
  }
  for (const queue of stack.resources("aws_sqs_queue")) {
    const dlq = dlqs.has(queue.address) ? ["dead-letter queue"] : [];
    chart.node(queue, "queue", label(`SQS ${nameOf(queue)}`, ...dlq));
  }
}

/**
 * DynamoDB tables, one node per copy (a global table's replicas in their regions, replicating
 * from the home copy), and the functions whose roles may write items of a copy.
 */
function addTables(stack: StackIndex, chart: Flowchart): void {
  for (const table of stack.resources("aws_dynamodb_table")) {
    chart.node(table, "table", label(`DynamoDB ${nameOf(table)}`));
    for (const replica of asList<Record<string, unknown>>(table.body.replica)) {
      const region = String(replica.region_name);
      chart.node(table, "table", label(`DynamoDB ${nameOf(table)}`, "replica"), region);
      chart.edge(chart.idOf(table), chart.idOf(table, region), "global table", true);
    }
  }
  for (const fn of stack.resources("aws_lambda_function")) {
    for (const ref of allowedResources(stack, fn, "dynamodb:PutItem").flatMap(referencesInString)) {
      const table = stack.block(ref.address);
      if (table?.type !== "aws_dynamodb_table") continue;
      chart.edge(chart.idOf(fn), chart.idOf(table, stack.regionOf(fn)), "marks processed");
    }
  }
}

/** The method an integration serves: its `http_method` reference, or the matching method. */
function integrationMethod(stack: StackIndex, integration: Block): Block | undefined {
  const resource = stack.target(integration.body.resource_id, ["id"]);
  return (
    stack.target(integration.body.http_method, ["http_method"]) ??
    stack
      .resources("aws_api_gateway_method")
      .find(
        (m) =>
          stack.target(m.body.resource_id, ["id"])?.address === resource?.address &&
          m.body.http_method === integration.body.http_method,
      )
  );
}

/** Producers call each API; each API's routes reach their function, one edge per pair. */
function addRoutes(stack: StackIndex, chart: Flowchart): void {
  const routes = new Map<string, string[]>();
  for (const integration of stack.resources("aws_api_gateway_integration")) {
    const api = stack.target(integration.body.rest_api_id, ["id"]);
    const fn = stack.target(integration.body.uri, ["invoke_arn", "arn"]);
    const resource = stack.target(integration.body.resource_id, ["id"]);
    const method = integrationMethod(stack, integration);
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
  for (const api of stack.resources("aws_api_gateway_rest_api")) {
    chart.edge("producers", chart.idOf(api), "SigV4");
  }
  for (const [key, list] of [...routes].sort()) {
    const [apiAddress, fnAddress] = key.split("\u0000");
    const [api, fn] = [stack.block(apiAddress), stack.block(fnAddress)];
    chart.edge(chart.idOf(api), chart.idOf(fn), list.sort().join(", "));
  }
}

/** Resources the role of function `fn` may apply `action` to, by its own (attached) policies. */
function allowedResources(stack: StackIndex, fn: Block, action: string): string[] {
  const role = stack.target(fn.body.role, ["arn"]);
  if (!role) return [];
  return stack
    .policiesOf(role)
    .flatMap(({ at, source }) => (at === role || source.kind === "opaque" ? [] : source.statements))
    .filter((s) => s.effect === "Allow" && s.actions.includes(action))
    .flatMap((s) => s.resources);
}

/** A function publishes to a topic its role may sns:Publish to. */
function addPublishers(stack: StackIndex, chart: Flowchart): void {
  for (const fn of stack.resources("aws_lambda_function")) {
    for (const r of allowedResources(stack, fn, "sns:Publish")) {
      const topic = stack.target(r, ["arn", "id"]);
      if (topic?.type === "aws_sns_topic") chart.edge(chart.idOf(fn), chart.idOf(topic), "Publish");
    }
  }
}

/** Subscriptions, their failed deliveries, queue redrives and consumers' polling. */
function addDeliveries(stack: StackIndex, chart: Flowchart): void {
  for (const sub of stack.resources("aws_sns_topic_subscription")) {
    const topic = chart.idOf(stack.target(sub.body.topic_arn, ["arn", "id"]));
    const endpoint = stack.target(sub.body.endpoint, ["arn"]);
    chart.edge(topic, chart.idOf(endpoint), `${String(sub.body.protocol)} subscription`);
    const { target } = stack.redrive(sub.body.redrive_policy);
    chart.edge(topic, chart.idOf(target), "failed deliveries", true);
  }
  for (const queue of stack.resources("aws_sqs_queue")) {
    const { target, receives } = stack.redrive(queue.body.redrive_policy);
    if (target && target.address !== queue.address) {
      const text = receives ? `after ${receives} receives` : "redrive";
      chart.edge(chart.idOf(queue), chart.idOf(target), text, true);
    }
  }
  for (const mapping of stack.resources("aws_lambda_event_source_mapping")) {
    const queue = stack.target(mapping.body.event_source_arn, ["arn"]);
    const fn = stack.target(mapping.body.function_name, ["arn", "function_name"]);
    const text = mapping.body.enabled === false ? "polls, disabled" : "polls";
    chart.edge(chart.idOf(queue), chart.idOf(fn), text);
  }
}

/** The Mermaid text: producers, one subgraph per region (home first), then the edges. */
function render(stack: StackIndex, chart: Flowchart): string {
  const home = stack.homeRegion();
  const regions = stack.regionsHomeFirst();
  for (const n of chart.nodes) if (!regions.includes(n.region)) regions.push(n.region);
  const lines = ["flowchart LR"];
  if (stack.resources("aws_api_gateway_rest_api").length > 0) {
    lines.push(`  producers${SHAPES.external[0]}"producers"${SHAPES.external[1]}`);
  }
  for (const region of regions) {
    const inRegion = chart.nodes.filter((n) => n.region === region);
    if (inRegion.length === 0) continue;
    const title = region === home ? `${region} (home)` : region;
    lines.push(`  subgraph ${safeId(`region_${region}`)}["${label(title)}"]`);
    for (const n of inRegion) {
      lines.push(`    ${n.id}${SHAPES[n.kind][0]}"${n.label}"${SHAPES[n.kind][1]}`);
    }
    lines.push("  end");
  }
  for (const e of chart.edges) {
    lines.push(`  ${e.from} ${e.dotted ? "-.->" : "-->"}|${edgeLabel(e.label)}| ${e.to}`);
  }
  return lines.join("\n");
}

/** Builds the flowchart of one stack. */
export function stackFlowchart(stack: StackIndex): string {
  const chart = new Flowchart(stack);
  addNodes(stack, chart);
  addRoutes(stack, chart);
  addPublishers(stack, chart);
  addDeliveries(stack, chart);
  addTables(stack, chart);
  return render(stack, chart);
}
