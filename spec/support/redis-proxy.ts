import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of Redis for fault tests: it can delay traffic, or let a command whose bytes contain a
 * marker reach Redis and then cut the connection before the reply (Redis executed it; the client never hears).
 */
export class RedisProxy {
  delayMs = 0;
  /** Extra delay for server-to-client data carrying a RESP3 `invalidate` push (client-side caching). */
  pushDelayMs = 0;
  private dropReplyAfter: string | undefined;
  private silenced: string | undefined;
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  port = 0;

  constructor(private readonly redisPort: number) {}

  /**
   * From now on, connections that sent `marker` (a client name, say) hear nothing more from Redis, and stay open:
   * a route that silently stopped delivering, which no error or close reveals.
   */
  silence(marker: string): void {
    this.silenced = marker;
  }

  /** The next command containing `marker` executes, but its reply is lost with the connection. */
  loseReplyOf(marker: string): void {
    this.dropReplyAfter = marker;
  }

  async start(): Promise<void> {
    this.server = createServer((inbound) => {
      const outbound = connect(this.redisPort, '127.0.0.1');
      const sent: Buffer[] = []; // what this client sent, for silence()
      let armed = false; // this connection sent the marked command: its next reply is lost with it (not another's)
      this.sockets.add(inbound).add(outbound);
      const close = () => {
        inbound.destroy();
        outbound.destroy();
      };
      inbound.on('data', (chunk: Buffer) => {
        if (sent.length < 16) sent.push(chunk);
        if (this.dropReplyAfter && chunk.includes(this.dropReplyAfter)) {
          this.dropReplyAfter = undefined;
          armed = true;
        }
        setTimeout(() => outbound.writable && outbound.write(chunk), this.delayMs);
      });
      outbound.on('data', (chunk: Buffer) => {
        if (armed) {
          armed = false;
          return close();
        }
        if (this.silenced !== undefined && Buffer.concat(sent).includes(this.silenced)) return;
        const push = this.pushDelayMs > 0 && chunk.includes('invalidate') ? this.pushDelayMs : 0;
        setTimeout(() => inbound.writable && inbound.write(chunk), this.delayMs + push);
      });
      inbound.on('error', close).on('close', close);
      outbound.on('error', close).on('close', close);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
