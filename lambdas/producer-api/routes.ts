/**
 * The producer API's routes, defined once: the infrastructure creates a resource, method and
 * integration for each (`constructs/producer-api.ts`) and the handler routes on the same
 * table (`request.ts`). Producers sign their requests; health checks do not.
 */
export const ROUTES = {
  "/messages": { method: "POST", name: "publish", authorization: "AWS_IAM" },
  "/health": { method: "GET", name: "health", authorization: "NONE" },
} as const;

/** A path the API serves, e.g. `/messages`. */
export type RoutePath = keyof typeof ROUTES;

/** What the handler calls a route. */
export type RouteName = (typeof ROUTES)[RoutePath]["name"];
