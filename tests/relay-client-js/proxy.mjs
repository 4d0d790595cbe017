// A TCP proxy on 127.0.0.1 that forwards bytes both ways in small random chunks and can reset every connection at
// once, wherever the bytes in flight happen to be (mid-frame too).
import { createConnection, createServer } from "node:net";

export async function startProxy(targetPort) {
  const pairs = new Set();
  let cuts = 0;
  let refusing = false;
  let refused = 0;
  const server = createServer((client) => {
    if (refusing) {
      refused++;
      client.resetAndDestroy(); // as if nothing listened
      return;
    }
    const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
    const pair = { client, upstream };
    pairs.add(pair);
    const forward = (from, to) =>
      from.on("data", (data) => {
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
