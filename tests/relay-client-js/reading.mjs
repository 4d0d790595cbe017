// What the client tests share: reading a client's messages in the background, and waiting for its state.

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

/** Resolves with the first state change that matches, or rejects after a generous bound. */
export function waitForState(client, match, ms = 60_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching state within ${ms} ms; last ${JSON.stringify(client.lastStateChange)}`)), ms);
    const off = client.on("stateChanged", (change) => {
      if (match(change)) {
        clearTimeout(timer);
        off();
        resolve(change);
      }
    });
  });
}
