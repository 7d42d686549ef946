import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";
import { dashboardBody, DashboardModel } from "./dashboard-body";

export interface LatencyDashboardProps {
  /** Provider of the home region; widgets read metrics from every region of the unit. */
  readonly provider: AwsProvider;
  /** Physical name of the dashboard. */
  readonly name: string;
  /** The unit's resources, by name (references to the stack's resources). */
  readonly model: DashboardModel;
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
    const region = props.model.homeRegion;
    this.dashboard = new CloudwatchDashboard(this, "dashboard", {
      provider: props.provider,
      dashboardName: props.name,
      dashboardBody: JSON.stringify(dashboardBody(props.model)),
    });
    this.url = `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${this.dashboard.dashboardName}`;
  }
}
