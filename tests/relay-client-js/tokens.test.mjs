// relay-client.js with authentication on: every handshake asks tokenProvider, so a refused or expired token is
// followed by a fresh one. node --test --experimental-websocket tests/relay-client-js/
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, test } from "node:test";
import { RelayClient, RelayConnectionState, SendOutcome } from "../../src/Akka.Relay.Server/wwwroot/relay-client.js";
import { freePort, startServer } from "./server.mjs";
import { waitForState } from "./reading.mjs";

const key = "test-signing-key-0123456789abcdef";
let server;
let nextId = 2_000_000 + Math.floor(Math.random() * 1_000_000);
const id = () => String(nextId++);

const b64url = (value) => Buffer.from(value).toString("base64url");

/** An HS256 JWT for subject, valid for lifetimeSeconds. */
function token(subject, lifetimeSeconds = 3600) {
  const now = Math.floor(Date.now() / 1000);
  const head = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64url(JSON.stringify({ sub: subject, iat: now, exp: now + lifetimeSeconds }));
  const signature = createHmac("sha256", key).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${signature}`;
}

/** Hands out the given tokens in turn (the last from then on) and counts the calls. */
function tokens(...makers) {
  const provider = () => makers[Math.min(provider.calls++, makers.length - 1)]();
  provider.calls = 0;
  return provider;
}

before(async () => {
  server = await startServer(await freePort(), { "Relay:Auth:SigningKey": key, "Relay:Auth:ClockSkew": "00:00:00" });
});

after(async () => {
  await server?.stop();
});

test("a refused token is followed by a fresh one from tokenProvider", async () => {
  const [a, b] = [id(), id()];
  const provider = tokens(() => "not-a-token", () => token(a));
  const alice = await RelayClient.connect(server.url, a, { tokenProvider: provider, reconnectDelay: 50 });
  const bob = await RelayClient.connect(server.url, b, { tokenProvider: () => token(b) });
  try {
    assert.equal(provider.calls, 2);
    assert.equal((await alice.send(b, "with the second token")).outcome, SendOutcome.Delivered);
  } finally {
    await alice.close();
    await bob.close();
  }
});

test("a 1008 token expired leads to a fresh token and a new session", async () => {
  const [a, b] = [id(), id()];
  const provider = tokens(() => token(a, 3), () => token(a));
  const alice = await RelayClient.connect(server.url, a, { tokenProvider: provider, reconnectDelay: 50 });
  const bob = await RelayClient.connect(server.url, b, { tokenProvider: () => token(b) });
  try {
    const expired = await waitForState(alice, (c) => c.state === RelayConnectionState.Reconnecting);
    assert.equal(expired.closeCode, 1008);
    assert.equal(expired.closeReason, "token expired");
    await waitForState(alice, (c) => c.state === RelayConnectionState.Connected);
    assert.equal(provider.calls, 2);
    assert.equal((await alice.send(b, "with the fresh token")).outcome, SendOutcome.Delivered);
  } finally {
    await alice.close();
    await bob.close();
  }
});
