/**
 * Runs rtsp-streaming-server in its own process: it has no stop(), so tests end it by PID.
 * Usage: rtsp-server.ts SERVER_PORT CLIENT_PORT RTP_PORT_START; prints "ready" when listening.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// CommonJS package with `exports.default`: require() gives the class without interop guesswork.
const { default: RtspServer } = require('rtsp-streaming-server') as typeof import('rtsp-streaming-server');

const [serverPort, clientPort, rtpPortStart] = process.argv.slice(2).map(Number);
const server = new RtspServer({ serverPort: serverPort ?? 0, clientPort: clientPort ?? 0, rtpPortStart: rtpPortStart ?? 0, rtpPortCount: 1000 });
await server.start();
process.stdout.write('ready\n');
