/**
 * Channels between holdfast's primary process and its workers (`--workers`):
 * JSON values, one per line, over a unix socket in a private directory.
 * `node:net` runs unchanged on Bun and on Deno, and a message here is small
 * and rare (a health change, a status snapshot when the admin endpoint is
 * asked), so the proxy's own socket layer is not needed.
 *
 * @module
 */
import { createServer, type Server, type Socket } from "node:net";
import { connect } from "node:net";

// A snapshot lists every request in flight: allow a large one, refuse a runaway.
const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** One end of a channel. */
export interface Channel {
  /** Queues `value` as one JSON line; does nothing once closed. */
  send(value: unknown): void;
  /** Called with each value the other end sent, in order. */
  onMessage: (value: unknown) => void;
  /** Called once when the channel closes, from either end or on an error. */
  onClose: () => void;
  close(): void;
}

/** A listening channel socket. */
export interface ChannelServer {
  /** Stops accepting and removes nothing (the caller owns the directory). */
  close(): void;
}

/** What {@link Runtime.channels} offers. */
export interface ChannelRuntime {
  /**
   * Listens on the unix socket `path` (which must not exist).
   * @throws Error with the system's message when it cannot be bound
   */
  listen(path: string, onChannel: (c: Channel) => void): Promise<ChannelServer>;
  /**
   * Connects to `path`.
   * @throws Error with the system's message when nothing listens there
   */
  connect(path: string): Promise<Channel>;
}

/** Wraps a connected socket as a {@link Channel}. */
function channelOf(socket: Socket): Channel {
  let closed = false;
  let pending = "";
  const ch: Channel = {
    send(value) {
      if (!closed) socket.write(JSON.stringify(value) + "\n");
    },
    onMessage: () => {},
    onClose: () => {},
    close() {
      socket.end();
    },
  };
  socket.setEncoding("utf8");
  socket.on("data", (text: string) => {
    pending += text;
    if (pending.length > MAX_LINE_BYTES) return socket.destroy();
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line) ch.onMessage(JSON.parse(line));
    }
  });
  const end = () => {
    if (closed) return;
    closed = true;
    ch.onClose();
  };
  socket.on("close", end);
  socket.on("error", () => socket.destroy());
  return ch;
}

/** The channels of both runtimes, on `node:net`. */
export const nodeChannels: ChannelRuntime = {
  listen(path, onChannel) {
    return new Promise((resolve, reject) => {
      const server: Server = createServer((s) => onChannel(channelOf(s)));
      server.once("error", reject);
      server.listen(path, () => resolve({ close: () => server.close() }));
    });
  },
  connect(path) {
    return new Promise((resolve, reject) => {
      const s = connect({ path });
      s.once("error", reject);
      s.once("connect", () => {
        s.off("error", reject);
        resolve(channelOf(s));
      });
    });
  },
};
