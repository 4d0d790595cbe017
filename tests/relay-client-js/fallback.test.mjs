// relay-client.js with fallbackServers against real server processes: a failed handshake moves on to the next server
// in turn (the first server, then each fallback, round robin), a successful one stays. Each server here is a single
// node of its own, so which one a client is on shows in the answers: a SEND to a user connected only to that server is
// "Delivered", anywhere else "NotOnline".
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { RelayClient, RelayConnectError, RelayConnectionState, SendOutcome } from "../../src/Akka.Relay.Server/wwwroot/relay-client.js";
import { startProxy } from "./proxy.mjs";
import { freePort, startServer } from "./server.mjs";
import { waitForState } from "./reading.mjs";

const directories = [];
let nextId = 30_000_000 + Math.floor(Math.random() * 1e9);
const id = () => String(nextId++);

after(() => {
  for (const d of directories) rmSync(d, { recursive: true, force: true });
});

/** A server on port with its own SQLite inbox file, so that no two servers share one. */
function start(port) {
  const directory = mkdtempSync(join(tmpdir(), "relay-js-fallback-"));
  directories.push(directory);
  return startServer(port, { "Relay:Inbox:ConnectionString": `Data Source=${join(directory, "inbox.db")}` });
}

const quick = (more = {}) => ({ reconnectDelay: 50, maxReconnectDelay: 500, ...more });

/** The client's next Connected after what the action does (the action's own promise is awaited first). */
async function reconnectedAfter(client, action) {
  const down = waitForState(client, (c) => c.state === RelayConnectionState.Reconnecting);
  await action();
  await down;
  if (client.state !== RelayConnectionState.Connected) {
    await waitForState(client, (c) => c.state === RelayConnectionState.Connected);
  }
}

test("with nothing listening at the first server, the client connects through a fallback", async () => {
  const dead = `ws://127.0.0.1:${await freePort()}`;
  const server = await start(await freePort());
  const [a, b] = [id(), id()];
  const bob = await RelayClient.connect(server.url, b);
  let alice;
  try {
    alice = await RelayClient.connect(dead, a, quick({ fallbackServers: [server.url] }));
    assert.equal(alice.state, RelayConnectionState.Connected);
    assert.equal((await alice.send(b, "through the fallback")).outcome, SendOutcome.Delivered);
  } finally {
    await alice?.close();
    await bob.close();
    await server.stop();
  }
});

test("when no server answers, connect fails naming every server it tried; fallbackServers must be a list", async () => {
  const [deadA, deadB] = [`ws://127.0.0.1:${await freePort()}`, `ws://127.0.0.1:${await freePort()}`];
  await assert.rejects(
    RelayClient.connect(deadA, id(), quick({ fallbackServers: [new URL(deadB)] })),
    (error) => error instanceof RelayConnectError && error.message.includes(`${deadA}/ws/`) && error.message.includes(`${deadB}/ws/`),
  );
  assert.throws(() => new RelayClient(deadA, id(), { fallbackServers: deadB }), TypeError);
});

test("the client stays on the server it reached, and moves on, in turn, when that one stops", async () => {
  const [portA, portB] = [await freePort(), await freePort()];
  let serverA = await start(portA);
  const serverB = await start(portB);
  const proxyB = await startProxy(portB); // cuts the client's connection to B without stopping B
  const [a, b, c, c2] = [id(), id(), id(), id()];
  const bob = await RelayClient.connect(serverB.url, b); // only ever on B
  let carol = await RelayClient.connect(serverA.url, c); // only ever on A
  const alice = await RelayClient.connect(serverA.url, a, quick({ fallbackServers: [proxyB.url] }));
  try {
    assert.equal((await alice.send(c, "on A")).outcome, SendOutcome.Delivered);
    assert.equal((await alice.send(b, "not on B")).outcome, SendOutcome.NotOnline);

    // A stops (1001): the reconnect to A fails, the next one goes to B.
    await reconnectedAfter(alice, async () => {
      await carol.close();
      await serverA.stop();
    });
    assert.equal((await alice.send(b, "on B")).outcome, SendOutcome.Delivered);

    // A is back, but a cut of a session on B reconnects to B: a successful handshake stays where it is.
    serverA = await start(portA);
    carol = await RelayClient.connect(serverA.url, c2);
    await reconnectedAfter(alice, async () => proxyB.cutAll());
    assert.equal((await alice.send(b, "still on B")).outcome, SendOutcome.Delivered);
    assert.equal((await alice.send(c2, "not on A")).outcome, SendOutcome.NotOnline);

    // B stops: after the last fallback comes the first server again.
    await reconnectedAfter(alice, async () => {
      await bob.close();
      await serverB.stop();
    });
    assert.equal((await alice.send(c2, "on A again")).outcome, SendOutcome.Delivered);
  } finally {
    await alice.close();
    await bob.close();
    await carol.close();
    await proxyB.stop();
    await serverA.stop();
    await serverB.stop();
  }
});
