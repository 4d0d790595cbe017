// Akka.Relay chat page: one WebSocket session (/ws/{id}) on the server that served this page.
// Everything a peer sends is untrusted: it is only ever written with textContent, never parsed as HTML.
'use strict';

(() => {
  const MAX_USER_ID = 18446744073709551615n; // 2^64 - 1; 0 is the server's own id
  const MAX_LOG_ENTRIES = 500; // older entries are dropped so a long session keeps a bounded page
  const TYPE = { CONNECT: '0', SEND: '1', SYSTEM: '2', BROADCAST: '3', CLOSE: '4' };
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

  let socket = null;

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

  /** ws(s)://<this page's host and path>/ws/{id}: right behind a TLS proxy, on any port, under a path prefix. */
  function socketUrl(userId) {
    const url = new URL('ws/' + userId, location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    url.search = '';
    url.hash = '';
    return url.href;
  }

  /**
   * Parses a server message. Every number keeps its own digits as a string: ids are unsigned
   * 64-bit and a JavaScript number would round them above 2^53 (where the browser lacks the
   * reviver's source text, the rounded value is shown).
   */
  function parseMessage(text) {
    try {
      const value = JSON.parse(text, (key, parsed, context) => {
        if (typeof parsed !== 'number') {
          return parsed;
        }
        return context && typeof context.source === 'string' ? context.source : String(parsed);
      });
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null;
    } catch {
      return null;
    }
  }

  function setState(state, text) {
    ui.status.dataset.state = state;
    ui.status.textContent = text;
    const idle = state === 'closed';
    ui.connect.disabled = !idle;
    ui.userId.disabled = !idle;
    ui.disconnect.disabled = idle;
    ui.send.disabled = state !== 'open';
    ui.broadcast.disabled = state !== 'open';
  }

  function showFormError(text) {
    ui.formError.textContent = text;
  }

  /** Appends one log line; every piece of text goes in through textContent. */
  function addEntry(kind, label, meta, text, details = {}) {
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

  function contentOf(message) {
    const content = message.content;
    if (content === undefined || content === null) {
      return '';
    }
    return typeof content === 'string' ? content : JSON.stringify(content);
  }

  function showIncoming(data) {
    if (typeof data !== 'string') {
      addEntry('error', 'error', 'from server', 'unexpected binary frame');
      return;
    }
    const message = parseMessage(data);
    if (message === null) {
      addEntry('error', 'error', 'from server', 'unreadable message: ' + data, { raw: data });
      return;
    }

    const type = String(message.type);
    const sender = message.sender === undefined ? '?' : String(message.sender);
    const receiver = message.receiver === undefined ? '?' : String(message.receiver);
    const content = contentOf(message);
    const details = { type, sender, receiver, raw: data };

    if (type === TYPE.SYSTEM && sender === '0') {
      if (content === 'success send') {
        addEntry('ack', 'delivered', 'to ' + receiver, content, details);
      } else if (content === 'not online') {
        addEntry('not-online', 'not online', 'user ' + receiver, content, details);
      } else if (content.startsWith('error')) {
        addEntry('error', 'error', 'from server', content, details);
      } else {
        addEntry('system', 'system', 'from server', content, details);
      }
    } else if (type === TYPE.SEND) {
      addEntry('message', 'message', 'from ' + sender, content, details);
    } else if (Object.hasOwn(ANNOUNCEMENT_LABELS, type)) {
      addEntry('broadcast', ANNOUNCEMENT_LABELS[type], 'from ' + sender, content, details);
    } else {
      addEntry('system', 'type ' + type, 'from ' + sender, content, details);
    }
  }

  function connect() {
    const userId = parseUserId(ui.userId.value);
    if (userId === null) {
      showFormError('Your user id must be a whole number from 1 to 18446744073709551615.');
      return;
    }
    showFormError('');

    const ws = new WebSocket(socketUrl(userId));
    socket = ws;
    setState('connecting', 'connecting as user ' + userId + '…');

    ws.addEventListener('open', () => {
      if (socket !== ws) {
        return;
      }
      setState('open', 'open as user ' + userId);
      addEntry('info', 'connected', 'user ' + userId, ws.url);
      ui.content.focus();
    });
    ws.addEventListener('message', (event) => {
      if (socket === ws) {
        showIncoming(event.data);
      }
    });
    ws.addEventListener('close', (event) => {
      if (socket !== ws) {
        return;
      }
      socket = null;
      const meaning = CLOSE_MEANINGS[event.code];
      const text = 'closed: ' + event.code +
        (meaning ? ' ' + meaning : '') +
        (event.reason ? ' (' + event.reason + ')' : '');
      setState('closed', text);
      addEntry('info', 'closed', 'user ' + userId, text, { code: event.code });
    });
  }

  function sendMessage(type) {
    if (socket === null || socket.readyState !== WebSocket.OPEN) {
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

    // Built by hand so a 64-bit receiver keeps its digits; the content is escaped by JSON.stringify.
    const json = receiver === null
      ? '{"type":' + type + ',"content":' + JSON.stringify(content) + '}'
      : '{"type":' + type + ',"receiver":' + receiver + ',"content":' + JSON.stringify(content) + '}';
    socket.send(json);
    addEntry('sent', 'sent', receiver === null ? 'to everyone' : 'to ' + receiver, content, { type, receiver });
    ui.content.value = '';
    ui.content.focus();
  }

  ui.connectForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (socket === null) {
      connect();
    }
  });
  ui.disconnect.addEventListener('click', () => {
    if (socket !== null) {
      socket.close(1000, 'user disconnected');
    }
  });
  ui.composeForm.addEventListener('submit', (event) => {
    event.preventDefault();
    sendMessage(TYPE.SEND);
  });
  ui.broadcast.addEventListener('click', () => sendMessage(TYPE.BROADCAST));

  setState('closed', 'not connected');
  ui.userId.focus();
})();
