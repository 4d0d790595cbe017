// relay-client.js and "error: rate limited", which names no message and may overtake earlier acks.
// node --test --experimental-websocket tests/relay-client-js/
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RelayClient, RelayConnectionState, SendOutcome } from "../../src/Akka.Relay.Server/wwwroot/relay-client.js";
import { freePort, startServer } from "./server.mjs";

let server;
let nextId = 3_000_000 + Math.floor(Math.random() * 1_000_000);
const id = () => String(nextId++);

before(async () => {
  server = await startServer(await freePort(), {
    "Relay:RateLimit:MessagesPerSecond": "2",
    "Relay:RateLimit:Burst": "5",
    "Relay:RateLimit:MaxRejections": "1000",
  });
});

after(async () => {
  await server?.stop();
});

test("refusals among many sends in flight end as answers, not as a reconnect loop", async () => {
  const [a, b] = [id(), id()];
  const alice = await RelayClient.connect(server.url, a, { reconnectDelay: 20 });
  const bob = await RelayClient.connect(server.url, b);
  const reconnects = [];
  alice.on("stateChanged", (c) => c.state === RelayConnectionState.Reconnecting && reconnects.push(c));
  try {
    // Twenty at once against a burst of five.
    const answers = await Promise.all(Array.from({ length: 20 }, (_, k) => alice.send(b, `burst ${k}`)));
    for (const r of answers) {
      assert.ok(
        r.outcome === SendOutcome.Delivered || (r.outcome === SendOutcome.Error && r.reason === "rate limited"),
        `unexpected ${JSON.stringify(r)}`,
      );
    }
    assert.ok(answers.some((r) => r.outcome === SendOutcome.Error));
    assert.ok(answers.some((r) => r.outcome === SendOutcome.Delivered));
    assert.ok(reconnects.length <= 1, JSON.stringify(reconnects));
    assert.equal(alice.state, RelayConnectionState.Connected);
  } finally {
    await alice.close();
    await bob.close();
  }
});
