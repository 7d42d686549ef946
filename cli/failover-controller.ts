/**
 * Drives the failover state machine for a run: knows the targets, reports switches as log lines,
 * and with fail-back polls the first target's health endpoint while another target is in use.
 */
import { INITIAL_STATE, nextState, type FailoverEvent, type FailoverState } from "./failover";
import { checkHealth } from "./health";
import type { HttpClient } from "./http";
import { targetLabel, type Target } from "./senders";

/** Healthy checks in a row before the CLI returns to the first target. */
export const DEFAULT_FAIL_BACK_AFTER = 3;

export interface FailBackOptions {
  readonly http: HttpClient;
  /** Time between health checks of the first target. */
  readonly intervalMs: number;
  /** Time limit of one health check. */
  readonly timeoutMs: number;
  /**
   * Consecutive healthy checks before returning to the first target.
   * @default 1
   */
  readonly healthyChecks?: number;
}

export class FailoverController {
  private state: FailoverState = INITIAL_STATE;
  private lastProbe = 0;
  private probing?: Promise<void>;
  /** Switches away after failures. */
  failovers = 0;
  /** Returns to the first target. */
  failBacks = 0;

  constructor(
    /** Targets in preference order; one target means no failover. */
    readonly targets: readonly Target[],
    private readonly threshold: number,
    private readonly log: (line: string) => void,
    private readonly failBack?: FailBackOptions,
  ) {}

  /** The target calls go to now, with its index. */
  current(): { readonly index: number; readonly target: Target } {
    return { index: this.state.current, target: this.targets[this.state.current] };
  }

  /** Records the outcome of a call made to target `index`; answers true when it switched. */
  record(index: number, outcome: { ok: true } | { ok: false; reason: string }): boolean {
    const event: FailoverEvent = outcome.ok
      ? { kind: "success", target: index }
      : { kind: "failure", target: index, reason: outcome.reason };
    return this.apply(event);
  }

  /**
   * With fail-back, while away from the first target: when a health check is due, checks the
   * first target, and returns to it once it has answered 200 `healthyChecks` times in a row.
   * Concurrent callers share one check.
   */
  async maybeFailBack(): Promise<void> {
    if (!this.failBack || this.state.current === 0) return;
    if (this.probing) return this.probing;
    if (Date.now() - this.lastProbe < this.failBack.intervalMs) return;
    const { http, timeoutMs } = this.failBack;
    const home = this.targets[0];
    this.probing = (async () => {
      try {
        if (!home.healthUrl) return;
        const answer = await checkHealth(http, home.healthUrl, timeoutMs);
        this.apply({ kind: answer.healthy ? "home-healthy" : "home-unhealthy" });
      } finally {
        this.lastProbe = Date.now();
        this.probing = undefined;
      }
    })();
    return this.probing;
  }

  private apply(event: FailoverEvent): boolean {
    const { state, switched } = nextState(
      {
        targetCount: this.targets.length,
        threshold: this.threshold,
        failBackAfter: this.failBack?.healthyChecks,
      },
      this.state,
      event,
    );
    this.state = state;
    if (!switched) return false;
    this.lastProbe = Date.now();
    const from = targetLabel(this.targets[switched.from]);
    const to = targetLabel(this.targets[switched.to]);
    const at = new Date().toISOString();
    if (switched.kind === "failover") {
      this.failovers += 1;
      this.log(`${at} failover: ${from} -> ${to} after ${switched.reason}`);
    } else {
      this.failBacks += 1;
      this.log(`${at} fail-back: ${to} is healthy again (${switched.reason}); leaving ${from}`);
    }
    return true;
  }
}
