import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { Construct } from "constructs";
import { dashboardBody } from "./dashboard-body";
import { ProducerApi } from "./producer-api";
import { RegionalProviders } from "./providers";
import { UnitQueue } from "./unit-queue";

export interface LatencyDashboardProps {
  /** The providers of the unit; the dashboard lives in the home region's. */
  readonly providers: RegionalProviders;
  /** Physical name of the dashboard. */
  readonly name: string;
  /** Stack name, e.g. `primary`. */
  readonly stack: string;
  /** `<prefix>-<stack>`: the `service` dimension of the unit's metrics. */
  readonly unitName: string;
  /** Home region of the unit; widgets read metrics from every region of the unit. */
  readonly homeRegion: string;
  /** The unit's topic. */
  readonly topic: SnsTopic;
  /** The unit's queues, active first. */
  readonly queues: readonly UnitQueue[];
  /** The unit's producer API. */
  readonly api: ProducerApi;
}

/**
 * One CloudWatch dashboard per fan-out unit, in the home region: each queue's latency legs
 * (p50, p99), the cross-region lag by metric math across regions, throughput, dead-letter
 * queues, consumer health and the producer API.
 */
export class LatencyDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: CloudwatchDashboard;
  /** Console address of the dashboard. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: LatencyDashboardProps) {
    super(scope, id);
    const region = props.homeRegion;
    this.dashboard = new CloudwatchDashboard(this, "dashboard", {
      provider: props.providers.forRegion(region),
      dashboardName: props.name,
      dashboardBody: JSON.stringify(dashboardBody(props)),
    });
    this.url = `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${this.dashboard.dashboardName}`;
  }
}
