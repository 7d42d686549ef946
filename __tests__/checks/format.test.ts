/**
 * The plain-text table `npm run check` prints.
 */
import { formatViolations } from "../../checks/run";

describe("formatViolations", () => {
  it("prints one row per violation under a header, and the count", () => {
    const text = formatViolations(
      [
        {
          rule: "sqs-encryption",
          stack: "primary",
          address: "aws_sqs_queue.q",
          why: "has neither",
        },
        {
          rule: "api-iam-auth",
          stack: "secondary",
          address: "aws_api_gateway_method.m",
          why: "NONE",
        },
      ],
      2,
    );
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^rule\s+stack\s+resource\s+why$/);
    expect(lines[2]).toMatch(/^sqs-encryption\s+primary\s+aws_sqs_queue\.q\s+has neither$/);
    expect(text).toMatch(/2 violation\(s\) in 2 stack\(s\)/);
  });

  it("says so when there is nothing to report", () => {
    expect(formatViolations([], 3)).toMatch(/3 stack\(s\), no violations/);
  });
});
