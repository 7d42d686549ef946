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
    expect(state).toEqual({ current: 0, consecutiveFailures: 2, homeHealthyStreak: 0 });
    expect(switches).toEqual([]);
  });

  it("switches to the next target at the threshold, saying why", () => {
    const { state, switches } = run(policy, [fail(0), fail(0), fail(0, "timeout")]);
    expect(state).toEqual({ current: 1, consecutiveFailures: 0, homeHealthyStreak: 0 });
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
    expect(state).toEqual({ current: 1, consecutiveFailures: 0, homeHealthyStreak: 0 });
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

  it("fails back only after failBackAfter healthy checks in a row; an unhealthy one restarts the count", () => {
    const steady: FailoverPolicy = { ...policy, failBackAfter: 3 };
    const away = run(steady, [fail(0), fail(0), fail(0)]).state;
    const healthy: FailoverEvent = { kind: "home-healthy" };
    const unhealthy: FailoverEvent = { kind: "home-unhealthy" };
    expect(run(steady, [healthy, healthy], away).switches).toEqual([]);
    expect(run(steady, [healthy, healthy, unhealthy, healthy, healthy], away).switches).toEqual([]);
    const back = run(steady, [healthy, unhealthy, healthy, healthy, healthy], away);
    expect(back.state).toEqual(INITIAL_STATE);
    expect(back.switches).toEqual([
      {
        from: 1,
        to: 0,
        kind: "fail-back",
        reason: "its health check answered 200 3 times in a row",
      },
    ]);
  });

  it("switches a bounded number of times when the home region flaps", () => {
    // The home region answers its health check every other time and fails every call:
    // without the streak this fails back on every good probe and over again after 3 failures.
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("call", "probe-ok", "probe-bad"), { maxLength: 300 }),
        fc.integer({ min: 2, max: 5 }),
        (script, failBackAfter) => {
          const p: FailoverPolicy = { targetCount: 2, threshold: 3, failBackAfter };
          let state = INITIAL_STATE;
          let switches = 0;
          let streakOfGoodProbes = 0;
          for (const step of script) {
            // A flapping home: a good probe is never followed by a second good one.
            const kind = step === "probe-ok" && streakOfGoodProbes > 0 ? "probe-bad" : step;
            streakOfGoodProbes =
              kind === "probe-ok"
                ? streakOfGoodProbes + 1
                : kind === "probe-bad"
                  ? 0
                  : streakOfGoodProbes;
            const event: FailoverEvent =
              kind === "call"
                ? state.current === 0
                  ? fail(0)
                  : { kind: "success", target: state.current }
                : { kind: kind === "probe-ok" ? "home-healthy" : "home-unhealthy" };
            const t = nextState(p, state, event);
            state = t.state;
            if (t.switched) switches += 1;
          }
          // One failover away from the broken home, and never back.
          expect(switches).toBeLessThanOrEqual(1);
        },
      ),
    );
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
