/**
 * What cdktf prints while it deploys or destroys, read as a person would: lines without the
 * terminal's control sequences and spinner frames, and the progress of each stack counted from
 * Terraform's lines.
 */

/** Terminal control sequences cdktf writes even into a pipe (its spinner redraws). */
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** A frame of cdktf's spinner ("⠋  Synthesizing"). */
export const SPINNER = /^[\u2800-\u28ff]\s/;

/** A line as a person would read it: control sequences gone. */
export function plainLine(line: string): string {
  return line.replace(ANSI, "");
}

/**
 * Progress of a deploy or destroy, read from Terraform's lines as cdktf relays them: cdktf
 * prefixes the first line of each block of a stack's output with the stack name and indents the
 * rest, so an indented line belongs to the stack named last.
 */
export class ApplyProgress {
  private readonly planned = new Map<string, number>();
  private readonly done = new Map<string, number>();
  private readonly unchanged = new Set<string>();
  private current?: string;

  constructor(private readonly stacks: readonly string[]) {}

  /** Takes one output line; answers true when it moved the count. */
  take(raw: string): boolean {
    const line = plainLine(raw);
    const named = this.stacks.find((s) => line.startsWith(`${s} `));
    if (named !== undefined) this.current = named;
    else if (!/^\s/.test(line)) return false;
    const stack = this.current;
    if (stack === undefined) return false;
    const plan = /Plan: (\d+) to add, (\d+) to change, (\d+) to destroy/.exec(line);
    if (plan) {
      this.planned.set(stack, Number(plan[1]) + Number(plan[2]) + Number(plan[3]));
      return true;
    }
    if (/No changes\./.test(line)) {
      this.unchanged.add(stack);
      return true;
    }
    if (/(Creation|Modifications|Destruction) complete after/.test(line)) {
      this.done.set(stack, (this.done.get(stack) ?? 0) + 1);
      return true;
    }
    return false;
  }

  /** Stacks whose plan said "No changes." */
  noChanges(): string[] {
    return this.stacks.filter((s) => this.unchanged.has(s));
  }

  /** `primary 37/80, secondary 40/80`. */
  summary(): string {
    return this.stacks
      .map((s) =>
        this.unchanged.has(s)
          ? `${s} no changes`
          : `${s} ${this.done.get(s) ?? 0}/${this.planned.get(s) ?? "?"}`,
      )
      .join(", ");
  }
}
