import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { Construct } from "constructs";
import { dashboardBody, DashboardModel } from "./dashboard-body";
import { RegionalProviders } from "./providers";

/** The unit the dashboard shows (see {@link DashboardModel}), where it lives and its name. */
export interface LatencyDashboardProps extends DashboardModel {
  /** The providers of the unit; the dashboard lives in the home region's. */
  readonly providers: RegionalProviders;
  /** Physical name of the dashboard. */
  readonly name: string;
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
