/**
 * The floor under a deploy's (and a destroy's) time: the AWS provider waits for SQS attribute
 * propagation after every create and delete of a queue, a queue policy and a redrive-allow
 * policy (six reads, five seconds apart), and Terraform cannot start a resource before what it
 * depends on is done. The longest chain of such waits through the dependency graph bounds the
 * whole apply from below, however fast the emulator answers.
 */

/** Seconds the provider spends waiting for SQS to show a change: reads 5 s apart, 6 of them. */
export const SQS_PROPAGATION_WAIT_SECONDS = 25;

/** Resource types whose create and delete wait for SQS attribute propagation. */
export const PROPAGATION_TYPES: ReadonlySet<string> = new Set([
  "aws_sqs_queue",
  "aws_sqs_queue_policy",
  "aws_sqs_queue_redrive_allow_policy",
  "aws_sqs_queue_redrive_policy",
]);

interface StateFile {
  readonly resources?: readonly {
    readonly mode: string;
    readonly type: string;
    readonly name: string;
    readonly instances: readonly { readonly dependencies?: readonly string[] }[];
  }[];
}

/** The longest chain of propagation waits in a state file: its length and the chain. */
export function criticalPath(state: StateFile): { seconds: number; chain: string[] } {
  const edges = new Map<string, Set<string>>();
  const types = new Map<string, string>();
  for (const r of state.resources ?? []) {
    if (r.mode !== "managed") continue;
    const address = `${r.type}.${r.name}`;
    types.set(address, r.type);
    const deps = edges.get(address) ?? new Set<string>();
    for (const instance of r.instances) for (const d of instance.dependencies ?? []) deps.add(d);
    edges.set(address, deps);
  }
  const memo = new Map<string, { seconds: number; chain: string[] }>();
  const visit = (address: string, path: Set<string>): { seconds: number; chain: string[] } => {
    const known = memo.get(address);
    if (known) return known;
    let best = { seconds: 0, chain: [] as string[] };
    path.add(address);
    for (const dep of edges.get(address) ?? []) {
      if (path.has(dep) || !types.has(dep)) continue;
      const sub = visit(dep, path);
      if (sub.seconds > best.seconds) best = sub;
    }
    path.delete(address);
    const own = PROPAGATION_TYPES.has(types.get(address) ?? "") ? SQS_PROPAGATION_WAIT_SECONDS : 0;
    const result = {
      seconds: best.seconds + own,
      chain: own > 0 ? [...best.chain, address] : best.chain,
    };
    memo.set(address, result);
    return result;
  };
  let longest = { seconds: 0, chain: [] as string[] };
  for (const address of types.keys()) {
    const candidate = visit(address, new Set());
    if (candidate.seconds > longest.seconds) longest = candidate;
  }
  return longest;
}
