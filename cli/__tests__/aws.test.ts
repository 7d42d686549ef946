import { createAwsClients } from "../aws";
import { TEST_CREDENTIALS } from "./helpers";

describe("createAwsClients", () => {
  it("sends a region's calls to its endpoint from the outputs file, others to AWS", async () => {
    const clients = createAwsClients(TEST_CREDENTIALS, { "us-east-1": "http://127.0.0.1:4566" });
    try {
      const local = await clients.sqs("us-east-1").config.endpoint?.();
      expect(local).toMatchObject({ hostname: "127.0.0.1", port: 4566, protocol: "http:" });
      expect(clients.sqs("us-west-2").config.endpoint).toBeUndefined();
      const cw = await clients.cloudWatch("us-east-1").config.endpoint?.();
      expect(cw).toMatchObject({ hostname: "127.0.0.1", port: 4566 });
    } finally {
      clients.destroy();
    }
  });
});
