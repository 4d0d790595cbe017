// Types of relay-client.js (the Akka.Relay client ES module). User ids are digit strings (64-bit, never rounded).

export declare const RelayConnectionState: Readonly<{ Connecting: "Connecting"; Connected: "Connected"; Reconnecting: "Reconnecting"; Closed: "Closed" }>;
export type RelayConnectionState = (typeof RelayConnectionState)[keyof typeof RelayConnectionState];

export declare const SendOutcome: Readonly<{ Delivered: "Delivered"; Stored: "Stored"; NotOnline: "NotOnline"; Error: "Error" }>;
export type SendOutcome = (typeof SendOutcome)[keyof typeof SendOutcome];

/** The answer to one send(). */
export interface SendResult { outcome: SendOutcome; reason?: string }

/** A change of state, with the close code and reason of the session that ended, or the error. */
export interface RelayStateChange { state: RelayConnectionState; closeCode?: number; closeReason?: string; error?: unknown }

/** The last stored message handed to the application. */
export interface RelayPosition { epoch: string | null; seq: number }

/** A resume reported a hole in the stored history. */
export interface RelayGap { epoch: string; first: number; last: number; lastSeen: RelayPosition }

/** A message for the application; json is the frame as received. */
export interface RelayMessage { type: number; sender: string; receiver: string | null; content: string | null; seq: string | null; epoch: string | null; json: string }

export interface RelayPositionStore {
  load(userId: string): RelayPosition | null | Promise<RelayPosition | null>;
  save(userId: string, position: RelayPosition): void | Promise<void>;
}

export interface RelayClientOptions {
  /** Called before every (re)connect; the token is sent as ?access_token=. */
  tokenProvider?: (() => string | null | Promise<string | null>) | null;
  resume?: boolean;
  positionStore?: RelayPositionStore | null;
  reconnectDelay?: number;
  maxReconnectDelay?: number;
  maxInitialConnectAttempts?: number;
  maxReconnectAttempts?: number | null;
  reconnectOnSlowConsumer?: boolean;
  reconnectOnRateLimitExceeded?: boolean;
  receiveBufferCapacity?: number;
  maxMessageBytes?: number;
  connectTimeout?: number;
  /** Other nodes of the same cluster (base addresses like the first server): a failed handshake moves on to the next one, in turn. */
  fallbackServers?: (string | URL)[];
  WebSocket?: typeof WebSocket;
}

/** The first connect failed (a browser does not reveal the HTTP status of a refused handshake). */
export declare class RelayConnectError extends Error {}

export declare class RelayClient {
  /** Connects; with resume, resolves once the resume header has come (the server keeps the user's messages from then on). */
  static connect(server: string | URL, userId: string | bigint | number, options?: RelayClientOptions): Promise<RelayClient>;
  readonly userId: string;
  readonly state: RelayConnectionState;
  readonly lastStateChange: RelayStateChange;
  readonly position: RelayPosition;
  on(event: "stateChanged", handler: (change: RelayStateChange) => void): () => void;
  /** "gap" is raised from readAll, just before the first message after the hole. */
  on(event: "gap", handler: (gap: RelayGap) => void): () => void;
  on(event: "serverError", handler: (reason: string) => void): () => void;
  send(receiver: string | bigint | number, content: string): Promise<SendResult>;
  broadcast(content: string): Promise<void>;
  readAll(): AsyncGenerator<RelayMessage, void, void>;
  close(): Promise<void>;
}
