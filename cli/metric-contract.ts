/**
 * The consumer's latency metrics as the CLI reads them, taken from the project's metric
 * contract (`lambdas/shared/metrics.ts`), which the consumers emit through and the dashboard
 * is built from: one definition, so the CLI cannot read names nobody emits.
 */
import type { LatencyMetricName } from "../lambdas/shared/metrics";

export {
  LATENCY_METRIC_NAMES,
  METRIC_NAMESPACE,
  ROLE_DIMENSION,
  SERVICE_DIMENSION,
  type LatencyMetricName,
} from "../lambdas/shared/metrics";

/** The leg used for the cross-region lag (replica minus active). */
export const END_TO_END_METRIC: LatencyMetricName = "EndToEndLatency";
