// Akka.Relay chat page on the relay-client.js module: one RelayClient per connect, with resume (protocol 1.1),
// reconnect and dedup done by the module. Everything a peer sends is untrusted: it is only ever written with
// textContent, never parsed as HTML. Ids stay digit strings (a JavaScript number rounds them above 2^53).
import { RelayClient, RelayConnectionState, SendOutcome } from './relay-client.js';

const MAX_USER_ID = 18446744073709551615n; // 2^64 - 1; 0 is the server's own id
const MAX_LOG_ENTRIES = 500; // older entries are dropped so a long session keeps a bounded page
const POSITION_KEY = 'akka-relay.position.'; // + user id: the last stored message this browser handed to the page
const TYPE = { CONNECT: 0, SEND: 1, SYSTEM: 2, BROADCAST: 3, CLOSE: 4 };
const ANNOUNCEMENT_LABELS = { [TYPE.CONNECT]: 'connect', [TYPE.BROADCAST]: 'broadcast', [TYPE.CLOSE]: 'close' };
const CLOSE_MEANINGS = {
  1000: 'normal closure',
  1001: 'server going away',
  1003: 'binary frames are not accepted',
  1006: 'refused or lost: check the user id, the session limit, the server',
  1007: 'invalid UTF-8',
  1008: 'policy violation',
  1009: 'message too big',
  1011: 'server error',
};

const ui = {
  status: byId('status'),
  connectForm: byId('connect-form'),
  userId: byId('user-id'),
  connect: byId('connect'),
  disconnect: byId('disconnect'),
  composeForm: byId('compose-form'),
  receiver: byId('receiver'),
  content: byId('content'),
  send: byId('send'),
  broadcast: byId('broadcast'),
  formError: byId('form-error'),
  log: byId('log'),
};

/** The current connection: { userId, client, phase, attempt, reconnected, resume, header, stopping, ... }; null when closed. */
let session = null;

function byId(id) {
  return document.getElementById(id);
}

/** The canonical decimal form of a user id, or null when the text is not one. */
function parseUserId(text) {
  const trimmed = text.trim();
  if (!/^[0-9]+$/.test(trimmed)) {
    return null;
  }
  const value = BigInt(trimmed);
  return value >= 1n && value <= MAX_USER_ID ? value.toString() : null;
}

/** Where the position (epoch, seq) of each user is kept: localStorage, so a reload resumes where it stopped. */
const positionStore = {
  load(userId) {
    try {
      const saved = JSON.parse(localStorage.getItem(POSITION_KEY + userId) ?? 'null');
      if (saved === null || !Number.isSafeInteger(saved.seq) || saved.seq < 0) {
        return null;
      }
      return { epoch: typeof saved.epoch === 'string' ? saved.epoch : null, seq: saved.seq };
    } catch {
      return null; // storage off (private mode) or garbage: resume from the start
    }
  },
  save(userId, position) {
    try {
      localStorage.setItem(POSITION_KEY + userId, JSON.stringify({ epoch: position.epoch, seq: position.seq }));
    } catch {
      // A full or disabled storage only costs a longer replay next time.
    }
  },
};

/**
 * The WebSocket class handed to the module: it counts the page's connection attempts and reads the resume
 * header and each frame's seq, which the module keeps to itself, to tell replayed messages from live ones.
 */
function pageSocketClass(s) {
  return class PageSocket extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols);
      s.attempt += 1;
      s.socketUrl = this.url;
      renderStatus(s);
      const frames = { header: null };
      // Registered before the module's onmessage, so it sees each frame first.
      this.addEventListener('message', (event) => noteFrame(s, frames, event.data));
    }
  };
}

function noteFrame(s, frames, data) {
  if (typeof data !== 'string' || !data.includes('"seq"') && !data.includes('"resume"')) {
    return;
  }
  let parsed;
  try {
    parsed = JSON.parse(data);
  } catch {
    return;
  }
  if (parsed?.type === TYPE.SYSTEM && parsed.sender === 0 && parsed.content === 'resume' && typeof parsed.epoch === 'string') {
    const first = Number(parsed.first);
    const last = Number(parsed.last);
    frames.header = { epoch: parsed.epoch, first, last, replayed: Math.max(0, last - first + 1) };
    s.header = frames.header;
    if (s.reconnected || s.header.replayed > 0) {
      addEntry('info', 'resumed', 'user ' + s.userId,
        s.header.replayed + ' replayed' + (s.header.replayed > 0 ? ' (seq ' + first + (last > first ? '–' + last : '') + ')' : ''),
        { replayed: s.header.replayed });
    }
    renderStatus(s);
  } else if (frames.header !== null && Number.isSafeInteger(parsed?.seq)) {
    if (parsed.seq >= frames.header.first && parsed.seq <= frames.header.last) {
      s.replayedSeqs.add(frames.header.epoch + ':' + parsed.seq);
    }
  }
}

function closeText(code, reason) {
  const meaning = CLOSE_MEANINGS[code];
  return code + (meaning ? ' ' + meaning : '') + (reason ? ' (' + reason + ')' : '');
}

/** Shows where the session stands in the header and enables what can be done in that state. */
function renderStatus(s) {
  if (s !== session && s !== null) {
    return;
  }
  let state = 'closed';
  let text = 'not connected';
  if (s !== null) {
    state = s.phase;
    if (s.phase === 'connecting') {
      text = 'connecting as user ' + s.userId + (s.attempt > 1 ? ', attempt ' + s.attempt : '') + '…';
    } else if (s.phase === 'open') {
      text = s.header !== null && (s.reconnected || s.header.replayed > 0)
        ? 'resumed as user ' + s.userId + ': ' + s.header.replayed + ' replayed'
        : 'open as user ' + s.userId + (s.resume ? '' : ', without resume');
    } else if (s.phase === 'reconnecting') {
      text = 'reconnecting as user ' + s.userId + (s.attempt > 0 ? ', attempt ' + s.attempt : '') +
        ' (lost: ' + closeText(s.lastClose.code, s.lastClose.reason) + ')…';
    } else if (s.phase === 'closing') {
      text = 'closing…';
    }
  }
  ui.status.dataset.state = state;
  ui.status.dataset.attempt = s !== null && s.phase === 'reconnecting' ? String(s.attempt) : '';
  ui.status.dataset.replayed = s !== null && s.phase === 'open' && s.header !== null ? String(s.header.replayed) : '';
  ui.status.textContent = text;
  const idle = state === 'closed';
  ui.connect.disabled = !idle;
  ui.userId.disabled = !idle;
  ui.disconnect.disabled = idle || state === 'closing';
  // While reconnecting the module queues what is sent and writes it on the next session.
  const canSend = state === 'open' || state === 'reconnecting';
  ui.send.disabled = !canSend;
  ui.broadcast.disabled = !canSend;
}

function showClosed(text, code) {
  session = null;
  renderStatus(null);
  ui.status.textContent = text;
  addEntry('info', 'closed', '', text, { code });
}

function showFormError(text) {
  ui.formError.textContent = text;
}

/** Appends one log line; every piece of text goes in through textContent. */
function addEntry(kind, label, meta, text, details = {}, tag = null) {
  const stickToBottom = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 40;

  const entry = document.createElement('li');
  entry.className = 'entry entry-' + kind;
  entry.dataset.kind = kind;
  for (const [name, value] of Object.entries(details)) {
    if (value !== undefined && value !== null) {
      entry.dataset[name] = String(value);
    }
  }

  const time = document.createElement('time');
  time.className = 'entry-time';
  time.textContent = new Date().toLocaleTimeString();
  const badge = document.createElement('span');
  badge.className = 'entry-label';
  badge.textContent = label;
  const who = document.createElement('span');
  who.className = 'entry-meta';
  who.textContent = meta;
  if (tag !== null) {
    const mark = document.createElement('span');
    mark.className = 'entry-tag';
    mark.dataset.testid = 'entry-tag';
    mark.textContent = tag;
    who.append(' ', mark);
  }
  const body = document.createElement('span');
  body.className = 'entry-text';
  body.dataset.testid = 'entry-text';
  body.textContent = text;
  entry.append(time, badge, who, body);

  ui.log.append(entry);
  while (ui.log.childElementCount > MAX_LOG_ENTRIES) {
    ui.log.firstElementChild.remove();
  }
  if (stickToBottom) {
    ui.log.scrollTop = ui.log.scrollHeight;
  }
}

/** The content as text: the module gives strings only, so anything else is taken from the frame itself. */
function contentOf(message) {
  if (message.content !== null) {
    return message.content;
  }
  try {
    const content = JSON.parse(message.json).content;
    return content === undefined || content === null ? '' : JSON.stringify(content);
  } catch {
    return '';
  }
}

function showIncoming(s, message) {
  const content = contentOf(message);
  const replayed = message.seq !== null && s.replayedSeqs.delete(message.epoch + ':' + message.seq);
  const details = {
    type: message.type,
    sender: message.sender,
    receiver: message.receiver,
    seq: message.seq,
    replayed: message.seq !== null ? replayed : null,
    raw: message.json,
  };
  const tag = replayed ? 'replayed' : null;
  if (message.type === TYPE.SEND) {
    addEntry('message', 'message', 'from ' + message.sender, content, details, tag);
  } else if (Object.hasOwn(ANNOUNCEMENT_LABELS, message.type)) {
    addEntry('broadcast', ANNOUNCEMENT_LABELS[message.type], 'from ' + message.sender, content, details, tag);
  } else if (message.type === TYPE.SYSTEM && message.sender === '0') {
    addEntry('system', 'system', 'from server', content, details, tag);
  } else {
    addEntry('system', 'type ' + message.type, 'from ' + message.sender, content, details, tag);
  }
}

function showAnswer(receiver, result) {
  const details = { receiver };
  if (result.outcome === SendOutcome.Delivered) {
    addEntry('ack', 'delivered', 'to ' + receiver, 'success send', details);
  } else if (result.outcome === SendOutcome.Stored) {
    addEntry('stored', 'stored', 'to ' + receiver, 'stored', details);
  } else if (result.outcome === SendOutcome.NotOnline) {
    addEntry('not-online', 'not online', 'user ' + receiver, 'not online', details);
  } else {
    addEntry('error', 'error', 'to ' + receiver, 'not sent: ' + result.reason, details);
  }
}

function showGap(gap) {
  const text = gap.lastSeen.epoch !== null && gap.lastSeen.epoch !== gap.epoch
    ? 'the inbox was created anew: messages after seq ' + gap.lastSeen.seq + ' of the old one are lost'
    : 'messages after seq ' + gap.lastSeen.seq + ' up to ' + (gap.first - 1) + ' were dropped before this resume';
  addEntry('gap', 'gap', 'history', text, { first: gap.first, last: gap.last });
}

function onStateChanged(s, change) {
  if (session !== s) {
    return;
  }
  if (change.state === RelayConnectionState.Reconnecting) {
    s.phase = 'reconnecting';
    s.reconnected = true;
    s.attempt = 0;
    s.header = null;
    s.lastClose = { code: change.closeCode, reason: change.closeReason };
    addEntry('info', 'lost', 'user ' + s.userId, closeText(change.closeCode, change.closeReason), { code: change.closeCode });
    renderStatus(s);
  } else if (change.state === RelayConnectionState.Connected) {
    onConnected(s);
  } else if (change.state === RelayConnectionState.Closed) {
    if (s.stopping) {
      showClosed('closed: ' + closeText(1000, 'you disconnected'), 1000);
    } else if (change.closeCode !== undefined) {
      showClosed('closed: ' + closeText(change.closeCode, change.closeReason), change.closeCode);
    } else {
      showClosed('closed: could not reconnect (' + (change.error?.message ?? 'unknown error') + ')', null);
    }
  }
}

function onConnected(s) {
  s.phase = 'open';
  s.attempt = 0;
  addEntry('info', s.reconnected ? 'reconnected' : 'connected', 'user ' + s.userId, s.socketUrl);
  renderStatus(s);
}

async function readMessages(s) {
  for await (const message of s.client.readAll()) {
    if (session === s) {
      showIncoming(s, message);
    }
  }
}

async function connect() {
  const userId = parseUserId(ui.userId.value);
  if (userId === null) {
    showFormError('Your user id must be a whole number from 1 to 18446744073709551615.');
    return;
  }
  showFormError('');

  const s = {
    userId,
    client: null,
    phase: 'connecting',
    attempt: 0,
    reconnected: false,
    resume: true,
    header: null,
    lastClose: null,
    socketUrl: '',
    stopping: false,
    replayedSeqs: new Set(),
  };
  session = s;
  renderStatus(s);
  const options = {
    resume: true,
    positionStore,
    // The server's Relay:MaxMessageBytes decides (a message over it closes the session with 1009, which the page shows).
    maxMessageBytes: Number.MAX_SAFE_INTEGER,
    WebSocket: pageSocketClass(s),
  };

  const server = new URL('.', location.href);
  let client;
  try {
    client = await RelayClient.connect(server, userId, options);
  } catch (error) {
    if (session !== s) {
      return;
    }
    // A server with its inbox off refuses ?resume= with 400, which a browser cannot tell from
    // other refusals: one attempt as a version 1 session tells them apart.
    try {
      client = await RelayClient.connect(server, userId, { ...options, resume: false, positionStore: null, maxInitialConnectAttempts: 1 });
    } catch {
      if (session === s) {
        showClosed('closed: 1006 ' + CLOSE_MEANINGS[1006] + ' (' + error.message + ')', 1006);
      }
      return;
    }
    s.resume = false;
    addEntry('info', 'no resume', 'user ' + userId,
      'the server refused ?resume= (its inbox is off): messages sent while you are away are not kept');
  }
  s.client = client;
  client.on('stateChanged', (change) => onStateChanged(s, change));
  client.on('gap', (gap) => session === s && showGap(gap));
  client.on('serverError', (reason) => session === s && addEntry('error', 'error', 'from server', 'error: ' + reason));
  readMessages(s);
  if (s.stopping) {
    await client.close();
    return;
  }
  onConnected(s);
  ui.content.focus();
}

async function sendMessage(type) {
  const s = session;
  if (s === null || s.client === null || (s.phase !== 'open' && s.phase !== 'reconnecting')) {
    showFormError('Connect first.');
    return;
  }
  const content = ui.content.value;
  if (content === '') {
    showFormError('Type a message first.');
    return;
  }

  let receiver = null;
  if (type === TYPE.SEND) {
    receiver = parseUserId(ui.receiver.value);
    if (receiver === null) {
      showFormError('"To user" must be a whole number from 1 to 18446744073709551615.');
      return;
    }
  }
  showFormError('');

  addEntry('sent', 'sent', receiver === null ? 'to everyone' : 'to ' + receiver, content, { type, receiver });
  ui.content.value = '';
  ui.content.focus();
  if (receiver !== null) {
    showAnswer(receiver, await s.client.send(receiver, content));
  } else {
    try {
      await s.client.broadcast(content);
    } catch (error) {
      addEntry('error', 'error', 'to everyone', 'not sent: ' + error.message);
    }
  }
}

ui.connectForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (session === null) {
    connect();
  }
});
ui.disconnect.addEventListener('click', () => {
  const s = session;
  if (s === null || s.stopping) {
    return;
  }
  s.stopping = true;
  s.phase = 'closing';
  renderStatus(s);
  // Still connecting: connect() closes the client once it has one.
  s.client?.close();
});
ui.composeForm.addEventListener('submit', (event) => {
  event.preventDefault();
  sendMessage(TYPE.SEND);
});
ui.broadcast.addEventListener('click', () => sendMessage(TYPE.BROADCAST));

renderStatus(null);
ui.userId.focus();
