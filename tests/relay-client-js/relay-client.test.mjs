// relay-client.js against the real server: node --test --experimental-websocket tests/relay-client-js/
// (Node 20.10+; from Node 22 on the flag can be left out). The server must be built: dotnet build src/Akka.Relay.Server.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RelayClient, RelayConnectionState, SendOutcome } from "../../src/Akka.Relay.Server/wwwroot/relay-client.js";
import { freePort, startServer } from "./server.mjs";
import { collect, waitForState } from "./reading.mjs";

let server;
let nextId = 1000 + Math.floor(Math.random() * 1_000_000);
const id = () => String(nextId++);


before(async () => {
  server = await startServer(await freePort());
});

after(async () => {
  await server?.stop();
});

test("interleaved sends each get their own ack, in order", async () => {
  const [a, b, offline] = [id(), id(), id()];
  const alice = await RelayClient.connect(server.url, a);
  const bob = await RelayClient.connect(server.url, b);
  const bobReads = collect(bob);
  try {
    const sends = [];
    for (let k = 0; k < 300; k++) {
      const receiver = k % 3 === 0 ? offline : b;
      sends.push(alice.send(receiver, `m${k}`).then((r) => ({ receiver, r })));
    }
    for (const { receiver, r } of await Promise.all(sends)) {
      assert.equal(r.outcome, receiver === b ? SendOutcome.Delivered : SendOutcome.NotOnline);
    }
    await bobReads.until((m) => m.length >= 200);
    assert.deepEqual(
      bobReads.messages.map((m) => m.content),
      Array.from({ length: 300 }, (_, k) => k).filter((k) => k % 3 !== 0).map((k) => `m${k}`),
    );
    assert.ok(bobReads.messages.every((m) => m.sender === a));
  } finally {
    await alice.close();
    await bob.close();
  }
});

test("a broadcast reaches every session, the sender's own included", async () => {
  const [a, b] = [id(), id()];
  const alice = await RelayClient.connect(server.url, a);
  const bob = await RelayClient.connect(server.url, b);
  const [aliceReads, bobReads] = [collect(alice), collect(bob)];
  try {
    await alice.broadcast("hello all");
    for (const reads of [aliceReads, bobReads]) {
      await reads.until((m) => m.some((x) => x.content === "hello all"));
      const m = reads.messages.find((x) => x.content === "hello all");
      assert.equal(m.type, 3);
      assert.equal(m.sender, a);
    }
  } finally {
    await alice.close();
    await bob.close();
  }
});

test("a send the server would refuse is answered with an error before writing, and the session carries on", async () => {
  const [a, b] = [id(), id()];
  const alice = await RelayClient.connect(server.url, a);
  const bob = await RelayClient.connect(server.url, b);
  try {
    assert.equal((await alice.send("0", "x")).outcome, SendOutcome.Error);
    const big = await alice.send(b, "x".repeat(600));
    assert.equal(big.outcome, SendOutcome.Error);
    assert.match(big.reason, /too big/);
    assert.equal((await alice.send(b, "fine")).outcome, SendOutcome.Delivered);
    assert.equal(alice.state, RelayConnectionState.Connected);
  } finally {
    await alice.close();
    await bob.close();
  }
});

test("ids above 2^53 keep every digit", async () => {
  const [a, b] = ["18446744073709551615", "18446744073709551613"];
  const alice = await RelayClient.connect(server.url, a);
  const bob = await RelayClient.connect(server.url, b);
  const bobReads = collect(bob);
  try {
    assert.equal((await alice.send(b, "big ids")).outcome, SendOutcome.Delivered);
    await bobReads.until((m) => m.length >= 1);
    assert.equal(bobReads.messages[0].sender, a);
    assert.equal(bobReads.messages[0].receiver, b);
  } finally {
    await alice.close();
    await bob.close();
  }
});

test("a server shutdown is 1001, then Reconnecting, then Connected to a new server on the same port", async () => {
  const port = await freePort();
  let own = await startServer(port);
  const [a, b] = [id(), id()];
  const options = { reconnectDelay: 50, maxReconnectDelay: 500 };
  const alice = await RelayClient.connect(own.url, a, options);
  const bob = await RelayClient.connect(own.url, b, options);
  const bobReads = collect(bob);
  try {
    const down = waitForState(alice, (c) => c.state === RelayConnectionState.Reconnecting);
    await own.stop();
    const change = await down;
    assert.equal(change.closeCode, 1001);
    assert.equal(change.closeReason, "server shutting down");

    // Made while nothing listens: written on the next session.
    const duringOutage = alice.send(b, "sent while down");
    const aliceBack = waitForState(alice, (c) => c.state === RelayConnectionState.Connected);
    const bobBack = bob.state === RelayConnectionState.Connected ? Promise.resolve() : waitForState(bob, (c) => c.state === RelayConnectionState.Connected);
    own = await startServer(port);
    await aliceBack;
    await bobBack;
    assert.ok([SendOutcome.Delivered, SendOutcome.NotOnline].includes((await duringOutage).outcome));
    assert.equal((await alice.send(b, "after the restart")).outcome, SendOutcome.Delivered);
    await bobReads.until((m) => m.some((x) => x.content === "after the restart"));
  } finally {
    await alice.close();
    await bob.close();
    await own.stop();
  }
});
