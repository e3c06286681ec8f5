/**
 * Node 20 support for Medplum 5. `@medplum/core` reads `WebSocket.CLOSING` when it is loaded, and Node 20 has a
 * global WebSocket only with `--experimental-websocket`; without one, importing `@medplum/core` throws
 * "ReferenceError: WebSocket is not defined". This module must be imported before any `@medplum/*` module (ES
 * modules are evaluated in import order, so importing it first in the file that imports Medplum is enough).
 * Nothing the in-memory server uses opens a WebSocket: the stand-in throws if anything tries. Node 22 and later
 * have a real WebSocket, which is then left alone.
 */
const g = globalThis as { WebSocket?: unknown };
if (typeof g.WebSocket === 'undefined') {
  // eslint-disable-next-line @typescript-eslint/no-extraneous-class -- a constructor is what Medplum reads the constants from
  g.WebSocket = class WebSocketUnavailable {
    static readonly CONNECTING = 0;
    static readonly OPEN = 1;
    static readonly CLOSING = 2;
    static readonly CLOSED = 3;
    constructor() {
      throw new Error('WebSocket is not available in this Node.js runtime (Node 22+, or node --experimental-websocket)');
    }
  };
}
export {};
