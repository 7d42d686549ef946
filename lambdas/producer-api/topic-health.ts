/**
 * Whether the region can publish: a cheap real call on the topic (`sns:GetTopicAttributes`),
 * its answer kept for a few seconds, so a flood of health checks makes at most one call per
 * topic per period. Concurrent checks share the call in flight.
 */

/** How long one answer is reused. */
export const HEALTH_CACHE_MS = 5_000;

export type TopicHealth = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** A cached health check of topics; `clear` forgets every answer. */
export interface TopicHealthCheck {
  (topicArn: string): Promise<TopicHealth>;
  clear(): void;
}

function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.name === "Error" ? error.message : error.name;
  return String(error);
}

/**
 * Wraps `probe` (which throws when the topic cannot be used) in a cache of `ttlMs`.
 */
export function cachedTopicHealth(
  probe: (topicArn: string) => Promise<unknown>,
  ttlMs: number = HEALTH_CACHE_MS,
  clock: () => number = () => Date.now(),
): TopicHealthCheck {
  const answers = new Map<string, { at: number; answer: Promise<TopicHealth> }>();
  const check = (topicArn: string): Promise<TopicHealth> => {
    const cached = answers.get(topicArn);
    if (cached !== undefined && clock() - cached.at < ttlMs) return cached.answer;
    // Through a resolved promise: a probe that throws at once counts as a failed check too.
    const answer = Promise.resolve()
      .then(() => probe(topicArn))
      .then(
        (): TopicHealth => ({ ok: true }),
        (error: unknown): TopicHealth => ({ ok: false, reason: reasonOf(error) }),
      );
    answers.set(topicArn, { at: clock(), answer });
    return answer;
  };
  return Object.assign(check, { clear: () => answers.clear() });
}
