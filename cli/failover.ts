/**
 * Failover between stacks, as a pure state machine: targets in preference order (index 0 is the
 * home target), a count of consecutive failures of the current target, and the current index.
 *
 * - A success of the current target resets the count.
 * - A failure of the current target increments it; at the threshold the machine moves to the
 *   next target (after the last, back to the first) and resets the count.
 * - `home-healthy` (the first target's health check answered 200) counts towards a fail-back;
 *   after `failBackAfter` in a row the machine moves back to the first target. `home-unhealthy`
 *   restarts the count, so a home region that answers only now and then is not returned to
 *   every few seconds.
 * - Outcomes of calls made to another target than the current one (still in flight when the
 *   machine switched) are ignored, so they cannot push the new target over the threshold.
 */

export interface FailoverPolicy {
  /** Number of targets; with one, the machine never switches. */
  readonly targetCount: number;
  /** Consecutive failures that make it switch (>= 1). */
  readonly threshold: number;
  /**
   * Consecutive healthy checks of the first target before returning to it (>= 1).
   * @default 1
   */
  readonly failBackAfter?: number;
}

export interface FailoverState {
  /** Index of the target calls go to. */
  readonly current: number;
  /** Consecutive failures of the current target. */
  readonly consecutiveFailures: number;
  /** Consecutive healthy checks of the first target while away from it. */
  readonly homeHealthyStreak: number;
}

export type FailoverEvent =
  | { readonly kind: "success"; readonly target: number }
  | { readonly kind: "failure"; readonly target: number; readonly reason: string }
  | { readonly kind: "home-healthy" }
  | { readonly kind: "home-unhealthy" };

export interface Switch {
  readonly from: number;
  readonly to: number;
  /** `failover` after failures, `fail-back` after a healthy check of the first target. */
  readonly kind: "failover" | "fail-back";
  /** Why, in words: the failure count and the last failure, or the health check. */
  readonly reason: string;
}

export interface Transition {
  readonly state: FailoverState;
  /** Set when this event changed the current target. */
  readonly switched?: Switch;
}

export const INITIAL_STATE: FailoverState = {
  current: 0,
  consecutiveFailures: 0,
  homeHealthyStreak: 0,
};

export function nextState(
  policy: FailoverPolicy,
  state: FailoverState,
  event: FailoverEvent,
): Transition {
  switch (event.kind) {
    case "success":
      if (event.target !== state.current) return { state };
      return { state: { ...state, consecutiveFailures: 0 } };
    case "failure": {
      if (event.target !== state.current) return { state };
      const failures = state.consecutiveFailures + 1;
      if (policy.targetCount < 2 || failures < policy.threshold) {
        return { state: { ...state, consecutiveFailures: failures } };
      }
      const to = (state.current + 1) % policy.targetCount;
      const plural = failures === 1 ? "failure" : "consecutive failures";
      return {
        state: { current: to, consecutiveFailures: 0, homeHealthyStreak: 0 },
        switched: {
          from: state.current,
          to,
          kind: "failover",
          reason: `${failures} ${plural} (last: ${event.reason})`,
        },
      };
    }
    case "home-healthy": {
      if (state.current === 0) return { state };
      const streak = state.homeHealthyStreak + 1;
      const needed = policy.failBackAfter ?? 1;
      if (streak < needed) return { state: { ...state, homeHealthyStreak: streak } };
      return {
        state: INITIAL_STATE,
        switched: {
          from: state.current,
          to: 0,
          kind: "fail-back",
          reason:
            needed === 1
              ? "its health check answered 200"
              : `its health check answered 200 ${needed} times in a row`,
        },
      };
    }
    case "home-unhealthy":
      return { state: { ...state, homeHealthyStreak: 0 } };
  }
}
