// Akka.Relay client for browsers and Node (20+ with --experimental-websocket, or 22+): one ES module, no build step.
// The same behaviour as the .NET Akka.Relay.Client (docs/clients.md, "Client libraries"); user ids are digit strings,
// since a JavaScript number rounds ids above 2^53.

/** Where a RelayClient's connection stands. */
export const RelayConnectionState = Object.freeze({
  Connecting: "Connecting",
  Connected: "Connected",
  Reconnecting: "Reconnecting",
  Closed: "Closed",
});

/** How the server answered one SEND. */
export const SendOutcome = Object.freeze({ Delivered: "Delivered", Stored: "Stored", NotOnline: "NotOnline", Error: "Error" });

/** The first connect failed; a browser does not reveal the HTTP status of a refused handshake. */
export class RelayConnectError extends Error {}

const MAX_ID = 18446744073709551615n;
const NO_ROUTE = "the cluster could not route the message";
// Closes after which a new session would get the same answer: the client sent something the server cannot take.
const FINAL_CODES = new Set([1002, 1003, 1007, 1009, 1010]);
// A close of our own: the application stopped reading and the buffer is full (reconnects once it has read half).
const BUFFER_FULL = 4000;

const defaults = {
  tokenProvider: null, // async () => token: sent as ?access_token= (a browser cannot set headers on a WebSocket)
  resume: false,
  positionStore: null, // { load(userId) -> {epoch, seq}, save(userId, {epoch, seq}) }, both may be async
  reconnectDelay: 250,
  maxReconnectDelay: 30000,
  maxInitialConnectAttempts: 3,
  maxReconnectAttempts: null,
  reconnectOnSlowConsumer: true,
  reconnectOnRateLimitExceeded: false,
  receiveBufferCapacity: 1024,
  maxMessageBytes: 512,
  connectTimeout: 15000,
  fallbackServers: [], // other nodes of the same cluster: a failed handshake moves on to the next one, in turn
  WebSocket: globalThis.WebSocket,
};

// The WebSocket endpoint of userId on a server given as its base address (ws, wss, http or https).
function endpoint(server, userId) {
  const url = new URL(server);
  url.protocol = url.protocol === "https:" || url.protocol === "wss:" ? "wss:" : "ws:";
  url.pathname = url.pathname.replace(/\/$/, "") + "/ws/" + userId;
  url.search = "";
  return url;
}

function userIdText(id, name) {
  const text = String(id);
  if (!/^\d+$/.test(text) || BigInt(text) === 0n || BigInt(text) > MAX_ID) {
    throw new RangeError(`${name} must be a user id, 1 to ${MAX_ID}`);
  }
  return BigInt(text).toString();
}

// An unsigned integer field as digits: JSON.parse rounds values above 2^53, so those are read from the text.
function digits(parsed, text, name) {
  const value = parsed[name];
  if (typeof value !== "number") return null;
  if (Number.isSafeInteger(value)) return String(value);
  const match = new RegExp(`"${name}"\\s*:\\s*(\\d+)`).exec(text);
  return match ? match[1] : String(value);
}

function newMid() {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function backoff(attempt, initial, cap) {
  const full = Math.min(initial * 2 ** Math.min(Math.max(attempt - 1, 0), 30), cap);
  return full / 2 + Math.random() * (full / 2);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A client of the relay for one user: sends with their own acks, broadcasts, reads, and reconnects by itself. */
export class RelayClient {
  #endpoints; // the first server's, then each fallback's
  #endpointIndex = 0; // the one the next handshake goes to: kept after a success, the next one after a failure
  #options;
  #state = { state: RelayConnectionState.Connecting };
  #handlers = { stateChanged: new Set(), gap: new Set(), serverError: new Set() };
  #outgoing = []; // items not yet written
  #awaiting = []; // SENDs written on the current session and not yet answered, oldest first
  #unechoed = new Set(); // mids of this session's broadcasts whose own copy has not come back
  #oneAtATime = false;
  #incoming = [];
  #readers = []; // pending readAll waits
  #drained = null; // resolves when a full buffer has been read down to half
  #handed = { epoch: null, seq: 0 };
  #queued = { epoch: null, seq: 0 };
  #socket = null;
  #epoch = null;
  #closing = false;
  #wakeWriter = null;

  constructor(server, userId, options) {
    this.userId = userIdText(userId, "userId");
    this.#options = { ...defaults, ...options };
    const fallbacks = this.#options.fallbackServers ?? [];
    if (typeof fallbacks === "string" || typeof fallbacks[Symbol.iterator] !== "function") {
      throw new TypeError("fallbackServers must be an array of server addresses");
    }
    this.#endpoints = [server, ...fallbacks].map((s) => endpoint(s, this.userId));
  }

  /**
   * Connects as userId to the relay at server (e.g. "ws://127.0.0.1:8080"), or to one of options.fallbackServers;
   * throws RelayConnectError after the first attempts. With resume it resolves once the resume header has come.
   */
  static async connect(server, userId, options = {}) {
    const client = new RelayClient(server, userId, options);
    if (client.#options.positionStore) {
      const loaded = (await client.#options.positionStore.load(client.userId)) ?? { epoch: null, seq: 0 };
      client.#handed = { epoch: loaded.epoch ?? null, seq: Number(loaded.seq ?? 0) };
      client.#queued = { ...client.#handed };
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await client.#open();
        break;
      } catch (error) {
        if (attempt >= client.#options.maxInitialConnectAttempts || error.final) {
          client.#setState({ state: RelayConnectionState.Closed, error });
          throw new RelayConnectError(`could not connect to ${client.#endpoints.join(" or ")}: ${error.message}`);
        }
        await sleep(backoff(attempt, client.#options.reconnectDelay, client.#options.maxReconnectDelay));
      }
    }
    return client;
  }

  /** The connection's state: { state, closeCode, closeReason, error }. */
  get state() {
    return this.#state.state;
  }

  get lastStateChange() {
    return this.#state;
  }

  /** The last stored message handed to the application: { epoch, seq }. */
  get position() {
    return { ...this.#handed };
  }

  /** Subscribes to "stateChanged", "gap" or "serverError"; returns the unsubscribe function. */
  on(event, handler) {
    this.#handlers[event].add(handler);
    return () => this.#handlers[event].delete(handler);
  }

  /** Sends content to receiver; resolves with { outcome, reason } answering this SEND (see docs/clients.md). */
  send(receiver, content) {
    let to;
    try {
      to = userIdText(receiver, "receiver");
    } catch {
      return Promise.resolve({ outcome: SendOutcome.Error, reason: "receiver must be a user id; 0 is the server" });
    }
    const mid = newMid();
    const text = `{"type":1,"receiver":${to},"content":${JSON.stringify(String(content))},"mid":"${mid}"}`;
    const bytes = new TextEncoder().encode(text).length;
    if (bytes > this.#options.maxMessageBytes) {
      return Promise.resolve({ outcome: SendOutcome.Error, reason: `message too big: ${bytes} bytes encoded, the limit is ${this.#options.maxMessageBytes}` });
    }
    return this.#enqueue({ isSend: true, receiver: to, mid, text });
  }

  /** Broadcasts content to every session (this one included); resolves when it is written. */
  async broadcast(content) {
    const mid = newMid();
    const text = `{"type":3,"content":${JSON.stringify(String(content))},"mid":"${mid}"}`;
    if (new TextEncoder().encode(text).length > this.#options.maxMessageBytes) throw new RangeError("message too big");
    const result = await this.#enqueue({ isSend: false, mid, text });
    if (result.outcome === SendOutcome.Error) throw new Error(result.reason);
  }

  /** The messages for this user, across reconnects; stored ones (with seq) each once and in order. Ends when closed. */
  async *readAll() {
    while (true) {
      if (this.#incoming.length === 0) {
        if (this.#state.state === RelayConnectionState.Closed) return;
        await new Promise((resolve) => this.#readers.push(resolve));
        continue;
      }
      const message = this.#incoming.shift();
      if (this.#drained && this.#incoming.length <= this.#options.receiveBufferCapacity / 2) {
        this.#drained.resolve();
        this.#drained = null;
      }
      if (message.gap) {
        // Just before the first message after the hole: lastSeen is everything handed over before it. Raised a
        // microtask later, so that a handler attached in the same turn as the reading began still hears it.
        await null;
        this.#emit("gap", { ...message.gap, lastSeen: { ...this.#handed } });
        continue;
      }
      if (message.seq !== null) {
        this.#handed = { epoch: message.epoch, seq: Number(message.seq) };
        await this.#options.positionStore?.save(this.userId, { ...this.#handed });
      }
      yield message;
    }
  }

  /** Closes the session (1000) and stops reconnecting; unanswered SENDs resolve with an error. */
  async close() {
    if (this.#closing) return;
    this.#closing = true;
    const socket = this.#socket;
    if (socket && socket.readyState === 1) {
      const closed = new Promise((resolve) => socket.addEventListener("close", resolve, { once: true }));
      socket.close(1000, "client closed");
      await Promise.race([closed, sleep(5000)]);
    }
    this.#finish({ state: RelayConnectionState.Closed, closeCode: 1000, closeReason: "closed" });
  }

  #emit(event, value) {
    for (const handler of this.#handlers[event]) {
      try {
        handler(value);
      } catch {
        // An application's handler must not take the connection down with it.
      }
    }
  }

  #setState(change) {
    if (this.#state.state === RelayConnectionState.Closed) return;
    this.#state = change;
    this.#emit("stateChanged", change);
  }

  #enqueue(item) {
    if (this.#state.state === RelayConnectionState.Closed) {
      return Promise.resolve({ outcome: SendOutcome.Error, reason: "the client is closed" });
    }
    const answered = new Promise((resolve) => (item.resolve = resolve));
    this.#outgoing.push(item);
    this.#pump();
    return answered;
  }

  #finish(change) {
    this.#setState(change);
    const left = [...this.#awaiting, ...this.#outgoing];
    this.#awaiting = [];
    this.#outgoing = [];
    for (const item of left) item.resolve({ outcome: SendOutcome.Error, reason: "the client is closed" });
    for (const wake of this.#readers.splice(0)) wake();
  }

  // Writes what waits, in order, while a session is open (one message at a time after an ambiguous refusal).
  #pump() {
    const socket = this.#socket;
    while (socket && socket.readyState === 1 && this.#outgoing.length > 0) {
      if (this.#oneAtATime && this.#awaiting.length + this.#unechoed.size > 0) return;
      const item = this.#outgoing.shift();
      if (item.isSend) this.#awaiting.push(item);
      else this.#unechoed.add(item.mid);
      socket.send(item.text);
      if (!item.isSend) item.resolve({ outcome: SendOutcome.Delivered });
    }
  }

  #uri() {
    const url = new URL(this.#endpoints[this.#endpointIndex]);
    if (this.#options.resume) {
      url.searchParams.set("resume", String(this.#handed.seq));
      if (this.#handed.epoch !== null) url.searchParams.set("epoch", this.#handed.epoch);
    }
    return url;
  }

  // One handshake: resolves once the session is open, rejects if it fails (a browser gives no reason). With resume the
  // session is open only once its first frame, the resume header, has come (within the same connectTimeout): only then
  // does the server keep this user's messages. A failure moves the next handshake on to the next server, so the users
  // of a dead node find a live one.
  async #open() {
    try {
      await this.#handshake();
    } catch (error) {
      this.#endpointIndex = (this.#endpointIndex + 1) % this.#endpoints.length;
      throw error;
    }
  }

  async #handshake() {
    const url = this.#uri();
    const token = this.#options.tokenProvider ? await this.#options.tokenProvider() : null;
    if (token) url.searchParams.set("access_token", token);
    const socket = new this.#options.WebSocket(url);
    const resume = this.#options.resume;
    // The header and what follows it in the same read are dispatched one after another before this method goes on.
    const early = [];
    let opened = false;
    let closed = null;
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.close();
        reject(new Error(resume ? "handshake or resume header timed out" : "handshake timed out"));
      }, this.#options.connectTimeout);
      socket.onopen = () => {
        opened = true;
        if (resume) return; // open once the header has come
        clearTimeout(timer);
        resolve();
      };
      socket.onmessage = (event) => {
        clearTimeout(timer);
        early.push(event.data);
        resolve();
      };
      socket.onclose = (event) => {
        clearTimeout(timer);
        closed = event; // after the header too: then it is this session's end, handled once attached
        const error = new Error(`handshake refused or failed (${event.code}${event.reason ? " " + event.reason : ""})`);
        // Closed after the upgrade, before the header, with a code a new session cannot fix: no more attempts.
        error.final = opened && !this.#shouldReconnect(event.code, event.reason);
        reject(error);
      };
      // Node's WebSocket (undici) reports a failed handshake with "error" only, never "close": without this, every
      // failed attempt would wait out connectTimeout.
      socket.onerror = () => {
        clearTimeout(timer);
        socket.onerror = null; // closing a socket that is still connecting reports another error
        socket.close();
        reject(new Error("handshake refused or failed"));
      };
    });
    socket.onerror = null;
    this.#attach(socket);
    for (const frame of early) this.#onFrame(frame);
    if (closed !== null) this.#onClose(socket, closed.code, closed.reason);
  }

  #attach(socket) {
    this.#socket = socket;
    this.#epoch = null;
    this.#unechoed = new Set();
    // The unanswered SENDs of the last session go first, in order, with their own mid.
    this.#outgoing = [...this.#awaiting, ...this.#outgoing];
    this.#awaiting = [];
    socket.onmessage = (event) => this.#onFrame(event.data);
    socket.onclose = (event) => this.#onClose(socket, event.code, event.reason);
    if (this.#state.state !== RelayConnectionState.Connected) this.#setState({ state: RelayConnectionState.Connected });
    this.#pump();
  }

  #onFrame(text) {
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    if (parsed === null || typeof parsed !== "object" || typeof parsed.type !== "number") return;
    const sender = digits(parsed, text, "sender") ?? "0";
    const receiver = digits(parsed, text, "receiver");
    const content = typeof parsed.content === "string" ? parsed.content : null;
    const seq = digits(parsed, text, "seq");
    if (parsed.type === 2 && sender === "0") {
      if (content === "success send") return this.#answer(receiver, { outcome: SendOutcome.Delivered });
      if (content === "not online") return this.#answer(receiver, { outcome: SendOutcome.NotOnline });
      if (content === "stored") return this.#answer(receiver, { outcome: SendOutcome.Stored });
      if (content === "resume" && typeof parsed.epoch === "string") return this.#onResume(parsed);
      if (content?.startsWith("error: ")) return this.#onRefusal(content.slice(7));
    }
    if (sender === this.userId && parsed.type !== 1 && typeof parsed.mid === "string" && this.#unechoed.delete(parsed.mid)) {
      this.#pump(); // Our own broadcast came back: the server took it.
    }
    const epoch = seq === null ? null : this.#epoch;
    if (seq !== null) {
      if (this.#queued.epoch === epoch && Number(seq) <= this.#queued.seq) return; // a replayed copy
      this.#queued = { epoch, seq: Number(seq) };
    }
    this.#incoming.push({ type: parsed.type, sender, receiver, content, seq, epoch, json: text });
    for (const wake of this.#readers.splice(0)) wake();
    if (this.#incoming.length >= this.#options.receiveBufferCapacity && !this.#drained) {
      // A browser cannot stop reading a WebSocket: end the session instead, and come back once the application caught up.
      let resolve;
      const promise = new Promise((r) => (resolve = r));
      this.#drained = { promise, resolve };
      this.#socket?.close(BUFFER_FULL, "receive buffer full");
    }
  }

  #answer(receiver, result) {
    const oldest = this.#awaiting[0];
    if (!oldest || (receiver !== null && receiver !== oldest.receiver)) {
      // An ack that fits no SEND: no later ack on this session can be trusted; resend on a new one.
      this.#socket?.close(4001, "resync");
      return;
    }
    this.#awaiting.shift();
    oldest.resolve(result);
    this.#pump();
  }

  #onRefusal(reason) {
    this.#emit("serverError", reason);
    if (reason === NO_ROUTE) return this.#answer(null, { outcome: SendOutcome.Error, reason });
    const candidates = this.#awaiting.length + this.#unechoed.size;
    if (candidates === 1) {
      if (this.#awaiting.length === 1) this.#awaiting.shift().resolve({ outcome: SendOutcome.Error, reason });
      else this.#unechoed.clear();
      this.#pump();
    } else if (candidates > 1) {
      // Which message was refused cannot be known: resend the unanswered ones on a new session, one at a time.
      this.#oneAtATime = true;
      this.#socket?.close(4001, "resync");
    }
  }

  #onResume(parsed) {
    this.#epoch = parsed.epoch;
    if (parsed.gap === true) {
      // Raised by readAll when it gets here, so a handler attached after connect sees it (the header comes before).
      this.#incoming.push({ gap: { epoch: parsed.epoch, first: parsed.first, last: parsed.last } });
      for (const wake of this.#readers.splice(0)) wake();
    }
    if (this.#queued.epoch !== parsed.epoch) this.#queued = { epoch: parsed.epoch, seq: 0 };
  }

  #shouldReconnect(code, reason) {
    if (code === 1008) {
      if (reason === "token expired") return true;
      if (reason === "slow consumer") return this.#options.reconnectOnSlowConsumer;
      if (reason === "rate limit exceeded") return this.#options.reconnectOnRateLimitExceeded;
      return false;
    }
    return !FINAL_CODES.has(code);
  }

  async #onClose(socket, code, reason) {
    if (socket !== this.#socket) return;
    this.#socket = null;
    if (this.#closing) return;
    const ended = { state: RelayConnectionState.Reconnecting, closeCode: code, closeReason: reason };
    if (!this.#shouldReconnect(code, reason)) {
      this.#finish({ ...ended, state: RelayConnectionState.Closed });
      return;
    }
    this.#setState(ended);
    if (this.#drained) await this.#drained.promise;
    for (let attempt = 1; !this.#closing; attempt++) {
      await sleep(backoff(attempt, this.#options.reconnectDelay, this.#options.maxReconnectDelay));
      if (this.#closing) return;
      try {
        await this.#open();
        return;
      } catch (error) {
        const max = this.#options.maxReconnectAttempts;
        if ((max !== null && attempt >= max) || error.final) {
          this.#finish({ state: RelayConnectionState.Closed, error });
          return;
        }
      }
    }
  }
}
