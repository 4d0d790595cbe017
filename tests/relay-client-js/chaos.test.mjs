// relay-client.js under cuts: two users exchange SENDs through a proxy that resets both connections every
// 150-450 ms. With version 1 a cut may lose a message or (a resent SEND) deliver it twice; what holds is checked:
// every send() resolves, the client comes back, and the first copy of each message arrives in the order sent.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RelayClient, RelayConnectionState, SendOutcome } from "../../src/Akka.Relay.Server/wwwroot/relay-client.js";
import { startProxy } from "./proxy.mjs";
import { freePort, startServer } from "./server.mjs";

const PER_USER = 2000;
const MIN_CUTS = 20;
const WINDOW = 16;
let server;

before(async () => {
  server = await startServer(await freePort());
});

after(async () => {
  await server?.stop();
});

const withTimeout = (promise, ms, what) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} not done within ${ms} ms`)), ms).unref())]);

async function exchange(client, receiver, tag, proxy) {
  const results = [];
  const inFlight = [];
  for (let k = 0; k < PER_USER || proxy.cuts < MIN_CUTS; k++) {
    assert.ok(k < 1_000_000, `only ${proxy.cuts} cuts after ${k} sends`);
    if (inFlight.length === WINDOW) results.push(await withTimeout(inFlight.shift(), 60_000, `${tag} send`));
    inFlight.push(client.send(receiver, `${tag}:${k}`));
  }
  for (const p of inFlight) results.push(await withTimeout(p, 60_000, `${tag} send`));
  return results;
}

/** Reads in the background; messages.arrived(content) resolves once a message with that content is read. */
function collect(client) {
  const messages = [];
  const waiters = new Map();
  messages.arrived = (content) =>
    messages.some((m) => m.content === content) ? Promise.resolve() : new Promise((resolve) => waiters.set(content, resolve));
  (async () => {
    for await (const m of client.readAll()) {
      messages.push(m);
      waiters.get(m.content)?.();
    }
  })();
  return messages;
}

async function connected(client) {
  if (client.state === RelayConnectionState.Connected) return;
  await withTimeout(
    new Promise((resolve) => {
      const off = client.on("stateChanged", (c) => c.state === RelayConnectionState.Connected && (off(), resolve()));
    }),
    60_000,
    "reconnect",
  );
}

function assertInOrder(messages, sender, tag) {
  const seen = new Set();
  let last = -1;
  const mine = messages.filter((m) => m.type === 1 && m.content !== `${tag}:final`);
  assert.ok(mine.length > 0);
  for (const m of mine) {
    assert.equal(m.sender, sender);
    const [t, k] = m.content.split(":");
    assert.equal(t, tag);
    const n = Number(k);
    if (!seen.has(n)) {
      assert.ok(n > last, `${tag}:${n} arrived first after ${tag}:${last}`);
      seen.add(n);
      last = n;
    }
  }
}

test("under cuts every send resolves, the client comes back, and order per sender holds", async () => {
  const proxy = await startProxy(server.port);
  const [a, b] = ["7000001", "7000002"].map((x) => String(BigInt(x) + BigInt(Math.floor(Math.random() * 1e9))));
  const options = { reconnectDelay: 20, maxReconnectDelay: 500 };
  const alice = await RelayClient.connect(proxy.url, a, options);
  const bob = await RelayClient.connect(proxy.url, b, options);
  const [aliceReads, bobReads] = [collect(alice), collect(bob)];
  let cutting = true;
  const cutter = (async () => {
    while (cutting) {
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 300)); // pacing, not waiting for a result
      if (cutting) proxy.cutAll();
    }
  })();
  try {
    const answers = (await Promise.all([exchange(alice, b, "a", proxy), exchange(bob, a, "b", proxy)])).flat();
    cutting = false;
    await cutter;
    for (const r of answers) assert.ok([SendOutcome.Delivered, SendOutcome.NotOnline].includes(r.outcome), JSON.stringify(r));
    await connected(alice);
    await connected(bob);
    for (const [from, to, tag, reads] of [[alice, b, "a", bobReads], [bob, a, "b", aliceReads]]) {
      let r;
      for (let i = 0; i < 10_000 && (r = await from.send(to, `${tag}:final`)).outcome !== SendOutcome.Delivered; i++);
      assert.equal(r.outcome, SendOutcome.Delivered);
      await withTimeout(reads.arrived(`${tag}:final`), 60_000, "final message");
    }
    assertInOrder(bobReads, a, "a");
    assertInOrder(aliceReads, b, "b");
    console.log(`cuts ${proxy.cuts}, sends ${answers.length}, received a ${bobReads.length} b ${aliceReads.length}`);
  } finally {
    cutting = false;
    await alice.close();
    await bob.close();
    await proxy.stop();
  }
});
