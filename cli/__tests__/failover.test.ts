import fc from "fast-check";
import {
  INITIAL_STATE,
  nextState,
  type FailoverEvent,
  type FailoverPolicy,
  type FailoverState,
} from "../failover";

const policy: FailoverPolicy = { targetCount: 2, threshold: 3 };
const fail = (target: number, reason = "boom"): FailoverEvent => ({
  kind: "failure",
  target,
  reason,
});

function run(p: FailoverPolicy, events: FailoverEvent[], state: FailoverState = INITIAL_STATE) {
  const switches = [];
  for (const event of events) {
    const t = nextState(p, state, event);
    state = t.state;
    if (t.switched) switches.push(t.switched);
  }
  return { state, switches };
}

describe("failover state machine", () => {
  it("stays on the first target below the threshold", () => {
    const { state, switches } = run(policy, [fail(0), fail(0)]);
    expect(state).toEqual({ current: 0, consecutiveFailures: 2 });
    expect(switches).toEqual([]);
  });

  it("switches to the next target at the threshold, saying why", () => {
    const { state, switches } = run(policy, [fail(0), fail(0), fail(0, "timeout")]);
    expect(state).toEqual({ current: 1, consecutiveFailures: 0 });
    expect(switches).toEqual([
      {
        from: 0,
        to: 1,
        kind: "failover",
        reason: "3 consecutive failures (last: timeout)",
      },
    ]);
  });

  it("counts only consecutive failures: a success resets the count", () => {
    const { state, switches } = run(policy, [
      fail(0),
      fail(0),
      { kind: "success", target: 0 },
      fail(0),
      fail(0),
    ]);
    expect(state.current).toBe(0);
    expect(switches).toEqual([]);
  });

  it("ignores outcomes of calls made to a target it already left", () => {
    const after = run(policy, [fail(0), fail(0), fail(0)]).state;
    // Calls still in flight to target 0 fail after the switch: target 1 keeps a clean count.
    const { state } = run(
      policy,
      [fail(0), fail(0), fail(0), { kind: "success", target: 0 }],
      after,
    );
    expect(state).toEqual({ current: 1, consecutiveFailures: 0 });
  });

  it("wraps from the last target back to the first", () => {
    const { state, switches } = run({ targetCount: 3, threshold: 1 }, [fail(0), fail(1), fail(2)]);
    expect(switches.map((s) => [s.from, s.to])).toEqual([
      [0, 1],
      [1, 2],
      [2, 0],
    ]);
    expect(state.current).toBe(0);
  });

  it("fails back to the first target when its health check answers", () => {
    const away = run(policy, [fail(0), fail(0), fail(0)]).state;
    const t = nextState(policy, away, { kind: "home-healthy" });
    expect(t.state).toEqual(INITIAL_STATE);
    expect(t.switched).toEqual({
      from: 1,
      to: 0,
      kind: "fail-back",
      reason: "its health check answered 200",
    });
    expect(nextState(policy, INITIAL_STATE, { kind: "home-healthy" }).switched).toBeUndefined();
  });

  it("never switches with a single target", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 50 }), (outcomes) => {
        const events = outcomes.map((ok): FailoverEvent =>
          ok ? { kind: "success", target: 0 } : fail(0),
        );
        expect(run({ targetCount: 1, threshold: 1 }, events).switches).toEqual([]);
      }),
    );
  });

  it("switches exactly once per run of `threshold` consecutive failures", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.boolean(), { maxLength: 60 }),
        (threshold, outcomes) => {
          let state = INITIAL_STATE;
          let streak = 0;
          let expected = 0;
          let switches = 0;
          for (const ok of outcomes) {
            const event: FailoverEvent = ok
              ? { kind: "success", target: state.current }
              : fail(state.current);
            streak = ok ? 0 : streak + 1;
            if (streak === threshold) {
              expected += 1;
              streak = 0;
            }
            const t = nextState({ targetCount: 2, threshold }, state, event);
            if (t.switched) switches += 1;
            state = t.state;
            expect(state.consecutiveFailures).toBe(streak);
          }
          expect(switches).toBe(expected);
        },
      ),
    );
  });
});
