// What the client tests share to read a client's messages in the background.

/** Reads a client's messages in the background; until(predicate) resolves once they satisfy it, or rejects after a bound. */
export function collect(client, defaultMs = 60_000) {
  const messages = [];
  const waiters = [];
  (async () => {
    for await (const m of client.readAll()) {
      messages.push(m);
      for (const w of waiters.filter((w) => w.done(messages))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  })();
  return {
    messages,
    until(done, ms = defaultMs) {
      if (done(messages)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not there within ${ms} ms: ${messages.length} messages`)), ms);
        timer.unref?.();
        waiters.push({ done, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
  };
}
