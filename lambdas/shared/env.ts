/**
 * Environment variables every function of the fan-out carries. Each function's own contract
 * (`lambdas/<function>/env.ts`) builds on these names, so the stack and the handlers read and
 * write one spelling.
 */

/** Name of the fan-out stack the function belongs to, e.g. `primary`; added to every log line. */
export const STACK_ENV = "FANOUT_STACK";

/** Powertools' service name: the `service` field of every log line and metric. */
export const SERVICE_NAME_ENV = "POWERTOOLS_SERVICE_NAME";
