/**
 * Child-process entry that hosts node-media-server and rtsp-streaming-server.
 *
 * Why a separate process: node-media-server keeps its config in a module-level singleton,
 * logs with console.log (our stdout must stay clean), forces its log level to debug and
 * calls process.exit() when a port is taken. rtsp-streaming-server has no host option and
 * binds every interface. Isolating both lets us patch their socket binding to loopback
 * without touching the rest of the program, and a crash here is a lab fault, not ours.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { createRequire } from 'node:module';
import type { MediaServersConfig } from './media-servers.ts';

const LOOPBACK = '127.0.0.1';
const require = createRequire(import.meta.url);

/** Force every TCP listener and UDP socket created in this process onto 127.0.0.1. */
function confineToLoopback(): void {
  const listen = net.Server.prototype.listen as (this: net.Server, ...args: unknown[]) => net.Server;
  net.Server.prototype.listen = function patchedListen(this: net.Server, ...args: unknown[]) {
    if (typeof args[0] === 'number') {
      const rest = typeof args[1] === 'string' ? args.slice(2) : args.slice(1);
      return listen.call(this, args[0], LOOPBACK, ...rest);
    }
    return listen.apply(this, args);
  } as typeof net.Server.prototype.listen;

  const bind = dgram.Socket.prototype.bind;
  dgram.Socket.prototype.bind = function patchedBind(this: dgram.Socket, ...args: unknown[]) {
    if (typeof args[0] === 'number') {
      const callback = args.find((a) => typeof a === 'function') as (() => void) | undefined;
      return bind.call(this, { port: args[0], address: LOOPBACK }, callback);
    }
    return bind.apply(this, args as Parameters<typeof bind>);
  } as typeof bind;
}

function listening(server: net.Server | undefined): Promise<void> {
  if (!server) return Promise.reject(new Error('node-media-server did not create a listener'));
  if (server.listening) return Promise.resolve();
  return new Promise((resolve) => server.once('listening', () => resolve()));
}

interface NmsInstance {
  run(): Promise<void>;
  httpServer: { httpServer?: net.Server };
  rtmpServer: { tcpServer?: net.Server };
}
interface RtspServerInstance {
  start(): Promise<void>;
}

async function main(config: MediaServersConfig): Promise<void> {
  confineToLoopback();
  const NodeMediaServer = require('node-media-server/src/index.js') as new (c: object, path: string) => NmsInstance;
  const nms = new NodeMediaServer(
    {
      bind: LOOPBACK,
      rtmp: { port: config.rtmpPort },
      http: { port: config.httpFlvPort },
      webadmin: { enable: false },
      notify: { url: config.notifyUrl ?? '' },
      store: { path: config.dataDir },
      ...(config.api && { auth: { jwt: { secret: config.api.jwtSecret, users: config.api.users } } }),
    },
    // Where its API saves edits (a login replaces a plain password by its hash): the lab's temp dir.
    `${config.dataDir}/nms-config.json`,
  );
  await nms.run();
  await Promise.all([listening(nms.httpServer.httpServer), listening(nms.rtmpServer.tcpServer)]);

  if (config.rtsp) {
    const { default: RtspServer } = require('rtsp-streaming-server') as {
      default: new (c: object) => RtspServerInstance;
    };
    await new RtspServer({
      serverPort: config.rtsp.publishPort,
      clientPort: config.rtsp.playPort,
      rtpPortStart: config.rtsp.rtpPortStart,
      rtpPortCount: config.rtsp.rtpPortCount,
    }).start();
  }
  process.send?.('ready');
}

// The parent holds the IPC channel; when it goes away (even by SIGKILL) we must go too.
process.on('disconnect', () => process.exit(0));
const arg = process.argv[2];
if (!arg) throw new Error('usage: media-servers-main <config json>');
main(JSON.parse(arg) as MediaServersConfig).catch((error: unknown) => {
  process.stderr.write(`media servers failed: ${String(error)}\n`);
  process.exit(1);
});
