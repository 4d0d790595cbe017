// relay-client.js with resume on (protocol 1.1) against the real server process on a single node, each server on
// its own SQLite store: the client resumes where the application is, stored messages reach it exactly once and in
// order (through a cutting proxy, and across a server restart on the same store), a hole surfaces as "gap", and a
// restarted application goes on from its position store.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { RelayClient, RelayConnectionState, SendOutcome } from "../../src/Akka.Relay.Server/wwwroot/relay-client.js";
import { startProxy } from "./proxy.mjs";
import { freePort, startServer } from "./server.mjs";
import { collect as collectMessages } from "./reading.mjs";

const PER_USER = 2000;
const MIN_CUTS = 20;
const WINDOW = 16;
const directories = [];
let nextId = 8_000_000 + Math.floor(Math.random() * 1e9);
const id = () => String(nextId++);

after(() => {
  for (const d of directories) rmSync(d, { recursive: true, force: true });
});

/** A new SQLite store file for a server: the inbox settings an operator would give. */
function inboxStore(more = {}) {
  const directory = mkdtempSync(join(tmpdir(), "relay-js-inbox-"));
  directories.push(directory);
  return { "Relay:Inbox:ConnectionString": `Data Source=${join(directory, "inbox.db")}`, ...more };
}

const withTimeout = (promise, ms, what) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} not done within ${ms} ms`)), ms).unref())]);

function waitForState(client, state) {
  if (client.state === state) return Promise.resolve();
  return withTimeout(
    new Promise((resolve) => {
      const off = client.on("stateChanged", (c) => c.state === state && (off(), resolve()));
    }),
    60_000,
    `state ${state}`,
  );
}

const collect = (client) => collectMessages(client, 120_000);


/** A position store that outlives its clients, as an application's storage would. */
function memoryStore() {
  const saved = new Map();
  return {
    saved,
    load: async (userId) => saved.get(userId) ?? null,
    save: async (userId, position) => void saved.set(userId, { ...position }),
  };
}

const resuming = (more = {}) => ({ resume: true, reconnectDelay: 20, maxReconnectDelay: 300, ...more });
const range = (from, count) => Array.from({ length: count }, (_, k) => from + k);

/** Sends until the answer is "stored": a session just closed may hold the inbox's reader for a moment ("success send"). */
async function sendUntilStored(sender, receiver, content) {
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const r = await withTimeout(sender.send(receiver, content()), 60_000, "send");
    assert.ok([SendOutcome.Delivered, SendOutcome.Stored].includes(r.outcome), JSON.stringify(r));
    if (r.outcome === SendOutcome.Stored) return;
  }
  assert.fail("the receiver's inbox never lost its reader");
}

test("with resume, connect resolves only once the resume header has come: then the user's messages are kept", async () => {
  const server = await startServer(await freePort(), inboxStore());
  const proxy = await startProxy(server.port);
  const [a, b] = [id(), id()];
  const alice = await RelayClient.connect(server.url, a);
  let bob = null;
  try {
    proxy.holding = true;
    let connected = false;
    const connecting = RelayClient.connect(proxy.url, b, resuming()).then((client) => {
      connected = true;
      return client;
    });
    await withTimeout(proxy.heldFromServer(), 30_000, "the server's first frame");
    assert.equal(connected, false, "connect resolved while the resume header was still on its way");
    proxy.release();
    bob = await withTimeout(connecting, 30_000, "connect");
    assert.equal(bob.state, RelayConnectionState.Connected);
    const bobReads = collect(bob);
    assert.equal((await alice.send(b, "after connect")).outcome, SendOutcome.Delivered);
    await bobReads.until((m) => m.length >= 1);
    assert.deepEqual([bobReads.messages[0].content, Number(bobReads.messages[0].seq)], ["after connect", 1]);
    assert.ok(bobReads.messages[0].epoch);
  } finally {
    await alice.close();
    await bob?.close();
    await proxy.stop();
    await server.stop();
  }
});

test("after a cut the client resumes where the app is and every stored message arrives once, in order", async () => {
  const server = await startServer(await freePort(), inboxStore());
  const proxy = await startProxy(server.port);
  const [a, b] = [id(), id()];
  const alice = await RelayClient.connect(server.url, a);
  const bob = await RelayClient.connect(proxy.url, b, resuming());
  const bobReads = collect(bob);
  try {
    for (let k = 0; k < 20; k++) assert.equal((await alice.send(b, `m${k}`)).outcome, SendOutcome.Delivered);
    await bobReads.until((m) => m.length >= 20);
    const epoch = bobReads.messages[0].epoch;
    assert.ok(epoch);
    assert.deepEqual(bob.position, { epoch, seq: 20 });

    const down = waitForState(bob, RelayConnectionState.Reconnecting);
    proxy.cutAll();
    await down;
    let k = 20;
    for (; k < 40; k++) {
      assert.ok([SendOutcome.Delivered, SendOutcome.Stored].includes((await alice.send(b, `m${k}`)).outcome));
    }
    await bobReads.until((m) => m.length >= k);
    assert.deepEqual(bobReads.messages.map((m) => m.content), range(0, k).map((n) => `m${n}`));
    assert.deepEqual(bobReads.messages.map((m) => Number(m.seq)), range(1, k));
    assert.ok(bobReads.messages.every((m) => m.epoch === epoch));
    assert.deepEqual(bob.position, { epoch, seq: k });
  } finally {
    await alice.close();
    await bob.close();
    await proxy.stop();
    await server.stop();
  }
});

test("a restarted app resumes from its position store, a send to it while away is stored, and a hole is a gap", async () => {
  const server = await startServer(await freePort(), inboxStore({ "Relay:Inbox:MaxMessages": "5" }));
  const store = memoryStore();
  const [a, b] = [id(), id()];
  const alice = await RelayClient.connect(server.url, a);
  try {
    const first = await RelayClient.connect(server.url, b, resuming({ positionStore: store }));
    const reads = collect(first);
    for (let k = 1; k <= 3; k++) assert.equal((await alice.send(b, `m${k}`)).outcome, SendOutcome.Delivered);
    await reads.until((m) => m.length >= 3);
    const epoch = reads.messages[0].epoch;
    assert.deepEqual(store.saved.get(b), { epoch, seq: 3 });
    await first.close();

    // Away: two messages, then the app comes back and gets exactly those.
    let next = 4;
    await sendUntilStored(alice, b, () => `m${next++}`);
    assert.equal((await alice.send(b, `m${next++}`)).outcome, SendOutcome.Stored);
    const second = await RelayClient.connect(server.url, b, resuming({ positionStore: store }));
    const gaps = [];
    second.on("gap", (g) => gaps.push(g));
    assert.deepEqual(second.position, { epoch, seq: 3 });
    const resumed = collect(second);
    await resumed.until((m) => m.length >= next - 4);
    assert.deepEqual(resumed.messages.map((m) => Number(m.seq)), range(4, next - 4));
    assert.deepEqual(gaps, []);
    const seen = next - 1;
    await second.close();

    // Away for more than the inbox keeps (5): the next resume reports the hole before the messages after it.
    while (next <= seen + 9) assert.equal((await alice.send(b, `m${next++}`)).outcome, SendOutcome.Stored);
    const last = next - 1;
    const third = await RelayClient.connect(server.url, b, resuming({ positionStore: store }));
    const later = collect(third);
    third.on("gap", (g) => gaps.push({ ...g, readBefore: later.messages.length }));
    await later.until((m) => m.length >= 5);
    assert.deepEqual(gaps, [{ epoch, first: last - 4, last, lastSeen: { epoch, seq: seen }, readBefore: 0 }]);
    assert.deepEqual(later.messages.map((m) => Number(m.seq)), range(last - 4, 5));
    await third.close();
  } finally {
    await alice.close();
    await server.stop();
  }
});

test("messages dropped when the app's buffer filled up are replayed by the resume, once each", async () => {
  const server = await startServer(await freePort(), inboxStore());
  const [a, b] = [id(), id()];
  const alice = await RelayClient.connect(server.url, a);
  // Room for 10: the 10th closes the session (4000) until the application has read half of them.
  const bob = await RelayClient.connect(server.url, b, resuming({ receiveBufferCapacity: 10 }));
  try {
    const full = waitForState(bob, RelayConnectionState.Reconnecting);
    for (let k = 1; k <= 30; k++) {
      assert.ok([SendOutcome.Delivered, SendOutcome.Stored].includes((await alice.send(b, `m${k}`)).outcome));
    }
    await full;
    assert.equal(bob.lastStateChange.closeCode, 4000);
    const reads = collect(bob);
    await reads.until((m) => m.length >= 30);
    // The replay may have filled the buffer once more (its 10th message closes that session too), so bob may be between
    // sessions now: m31 is then stored and replayed rather than delivered live. Either way it must arrive once, as seq 31.
    assert.ok([SendOutcome.Delivered, SendOutcome.Stored].includes((await alice.send(b, "m31")).outcome));
    await reads.until((m) => m.length >= 31);
    assert.deepEqual(reads.messages.map((m) => m.content), range(1, 31).map((n) => `m${n}`));
    assert.deepEqual(reads.messages.map((m) => Number(m.seq)), range(1, 31));
  } finally {
    await alice.close();
    await bob.close();
    await server.stop();
  }
});

test("a hole after a cut is reported once, naming the last message handed over before it", async () => {
  const server = await startServer(await freePort(), inboxStore({ "Relay:Inbox:MaxMessages": "5" }));
  const proxy = await startProxy(server.port);
  const [a, b] = [id(), id()];
  const alice = await RelayClient.connect(server.url, a);
  const bob = await RelayClient.connect(proxy.url, b, resuming());
  try {
    for (let k = 1; k <= 3; k++) assert.equal((await alice.send(b, `m${k}`)).outcome, SendOutcome.Delivered);
    // Bob's app has not read m1..m3 yet when the cut comes; the inbox keeps only the newest 5 of what follows.
    proxy.refusing = true;
    const down = waitForState(bob, RelayConnectionState.Reconnecting);
    proxy.cutAll();
    await down;
    let next = 4;
    await sendUntilStored(alice, b, () => `m${next++}`);
    while (next <= 13) assert.equal((await alice.send(b, `m${next++}`)).outcome, SendOutcome.Stored);
    const last = next - 1;
    const events = [];
    let reads = null;
    bob.on("gap", (gap) => events.push({ gap, readBefore: reads ? [...reads.messages] : null }));
    const back = waitForState(bob, RelayConnectionState.Connected);
    proxy.refusing = false;
    await back;
    reads = collect(bob);
    await reads.until((m) => m.filter((x) => Number(x.seq) >= last - 4).length >= 5);
    const epoch = reads.messages[0].epoch;
    // m1..m3 were in bob's buffer, but the cut may have swallowed the last of them on the wire: 2 or 3 of them.
    const before = reads.messages.filter((m) => Number(m.seq) < last - 4);
    assert.ok(before.length >= 2 && before.length <= 3, `${before.length} before the hole`);
    assert.deepEqual(reads.messages.map((m) => Number(m.seq)), [...range(1, before.length), ...range(last - 4, 5)]);
    assert.equal(events.length, 1);
    assert.deepEqual(events[0].gap, { epoch, first: last - 4, last, lastSeen: { epoch, seq: before.length } });
    assert.deepEqual(events[0].readBefore, before);
  } finally {
    await alice.close();
    await bob.close();
    await proxy.stop();
    await server.stop();
  }
});

test("a handshake that fails on the network is retried after the backoff, not after connectTimeout", async () => {
  const server = await startServer(await freePort(), inboxStore());
  const proxy = await startProxy(server.port);
  // A connect timeout far beyond the test's bounds: only a failure noticed at once lets the attempts go on.
  const bob = await RelayClient.connect(proxy.url, id(), resuming({ connectTimeout: 600_000 }));
  try {
    const down = waitForState(bob, RelayConnectionState.Reconnecting);
    proxy.refusing = true;
    proxy.cutAll();
    await down;
    await withTimeout(
      (async () => {
        while (proxy.refused < 3) await new Promise((r) => setTimeout(r, 20)); // polled with a bound
      })(),
      60_000,
      "3 refused handshakes",
    );
    const back = waitForState(bob, RelayConnectionState.Connected);
    proxy.refusing = false;
    await back;
  } finally {
    await bob.close();
    await proxy.stop();
    await server.stop();
  }
});

async function exchange(client, receiver, tag, proxy, progress) {
  const results = [];
  const inFlight = [];
  for (let k = 0; k < PER_USER || proxy.cuts < MIN_CUTS; k++) {
    assert.ok(k < 100 * PER_USER, `only ${proxy.cuts} cuts after ${k} sends`);
    progress(k);
    if (inFlight.length === WINDOW) results.push(await withTimeout(inFlight.shift(), 120_000, `${tag} send`));
    inFlight.push(client.send(receiver, `${tag}:${k}`));
  }
  for (const p of inFlight) results.push(await withTimeout(p, 120_000, `${tag} send`));
  return results;
}

async function exactlyOnce(restart) {
  const port = await freePort();
  const settings = inboxStore();
  let server = await startServer(port, settings);
  const proxy = await startProxy(port);
  const [a, b] = [id(), id()];
  const alice = await RelayClient.connect(proxy.url, a, resuming({ maxReconnectDelay: 500 }));
  const bob = await RelayClient.connect(proxy.url, b, resuming({ maxReconnectDelay: 500 }));
  const gaps = [];
  for (const c of [alice, bob]) c.on("gap", (g) => gaps.push(g));
  const [aliceReads, bobReads] = [collect(alice), collect(bob)];
  let cutting = true;
  const cutter = (async () => {
    while (cutting) {
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 300)); // pacing, not waiting for a result
      if (cutting) proxy.cutAll();
    }
  })();
  // The restart starts when the first of the two reaches half its sends; answersSoFar says when the new server was up.
  let answersSoFar = 0;
  let restarting = null;
  const progress = (k) => {
    if (restart && k === PER_USER / 2 && restarting === null) {
      restarting = (async () => {
        await server.stop();
        server = await startServer(port, settings);
        return answersSoFar;
      })();
    }
  };
  const counting = (client) => ({ send: (to, content) => client.send(to, content).then((r) => (answersSoFar++, r)) });
  try {
    const answers = await Promise.all([
      exchange(counting(alice), b, "a", proxy, progress),
      exchange(counting(bob), a, "b", proxy, progress),
    ]);
    cutting = false;
    await cutter;
    const atRestart = await withTimeout(restarting ?? Promise.resolve(-1), 120_000, "restart");
    const all = answers.flat();
    for (const r of all) assert.ok([SendOutcome.Delivered, SendOutcome.Stored].includes(r.outcome), JSON.stringify(r));
    assert.ok(proxy.cuts >= MIN_CUTS);
    if (restart) assert.ok(atRestart > 0 && atRestart < all.length, `the new server was up after ${atRestart} of ${all.length} answers`);
    for (const [reads, sender, tag, count] of [[bobReads, a, "a", answers[0].length], [aliceReads, b, "b", answers[1].length]]) {
      await reads.until((m) => m.length >= count);
      assert.ok(reads.messages.every((m) => m.sender === sender));
      const contents = reads.messages.map((m) => m.content);
      const firstWrong = contents.findIndex((c, i) => c !== `${tag}:${i}`);
      assert.equal(contents.length, count, `${tag}: ${contents.length} of ${count} arrived; first difference at ${firstWrong}: ${contents[firstWrong]}`);
      assert.equal(firstWrong, -1, `${tag}: first difference at ${firstWrong}: ${contents[firstWrong]}`);
      assert.deepEqual(reads.messages.map((m) => Number(m.seq)), range(1, count));
      assert.equal(new Set(reads.messages.map((m) => m.epoch)).size, 1);
    }
    assert.deepEqual(gaps, []);
    const stored = all.filter((r) => r.outcome === SendOutcome.Stored).length;
    console.log(`cuts ${proxy.cuts}, sends ${all.length}, delivered ${all.length - stored}, stored ${stored}${restart ? `, new server up after ${atRestart} answers` : ""}`);
  } finally {
    cutting = false;
    await alice.close();
    await bob.close();
    await proxy.stop();
    await server.stop();
  }
}

test("under cuts every send is delivered or stored and reaches the app exactly once, in order", () => exactlyOnce(false));

test("under cuts and a server restart on the same store, every message still arrives exactly once, in order", () => exactlyOnce(true));
