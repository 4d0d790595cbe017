// A TCP proxy on 127.0.0.1 that forwards bytes both ways in small random chunks and can reset every connection at
// once, wherever the bytes in flight happen to be (mid-frame too). While holding, it passes the server's HTTP answer
// and keeps back what the server writes after it (the first frames) until released.
import { createConnection, createServer } from "node:net";

export async function startProxy(targetPort) {
  const pairs = new Set();
  let cuts = 0;
  let refusing = false;
  let refused = 0;
  let holding = false;
  const heldWaiters = [];
  const server = createServer((client) => {
    if (refusing) {
      refused++;
      client.resetAndDestroy(); // as if nothing listened
      return;
    }
    const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
    const pair = { client, upstream, head: "", held: [] };
    pairs.add(pair);
    const forward = (from, to) =>
      from.on("data", (data) => {
        if (from === upstream && holding) {
          if (pair.head !== null) {
            // Still in the HTTP head: it goes through; whatever follows its blank line is kept back.
            const before = pair.head.length;
            pair.head += data.toString("latin1");
            const end = pair.head.indexOf("\r\n\r\n");
            if (end < 0) return void to.write(data);
            const frames = end + 4 - before;
            to.write(data.subarray(0, frames));
            pair.head = null;
            data = data.subarray(frames);
            if (data.length === 0) return;
          }
          pair.held.push(data);
          for (const wake of heldWaiters.splice(0)) wake();
          return;
        }
        // Split into random chunks so that a cut lands inside frames too.
        for (let i = 0; i < data.length; ) {
          const n = 1 + Math.floor(Math.random() * Math.min(1024, data.length - i));
          to.write(data.subarray(i, i + n));
          i += n;
        }
      });
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on("error", end);
      s.on("close", end);
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `ws://127.0.0.1:${server.address().port}`,
    get cuts() {
      return cuts;
    },
    /** How many connections were reset at once while refusing. */
    get refused() {
      return refused;
    },
    /** While true, every new connection is reset at once. */
    get refusing() {
      return refusing;
    },
    set refusing(value) {
      refusing = value;
    },
    /** While true, what a server writes after its HTTP answer is kept back until release(). */
    set holding(value) {
      holding = value;
    },
    /** Resolves once some bytes from a server are kept back. */
    heldFromServer() {
      if ([...pairs].some((p) => p.held.length > 0)) return Promise.resolve();
      return new Promise((resolve) => heldWaiters.push(resolve));
    },
    /** Stops holding and writes what was kept back, in order. */
    release() {
      holding = false;
      for (const pair of pairs) {
        for (const data of pair.held.splice(0)) pair.client.write(data);
      }
    },
    cutAll() {
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        pair.client.resetAndDestroy();
        pair.upstream.resetAndDestroy();
        cuts++;
      }
    },
    async stop() {
      this.cutAll();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
