import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { log } from '../common/log.ts';
import { killAndWait, track } from '../common/children.ts';
import { LOOPBACK } from './ports.ts';

export interface MediaServersConfig {
  rtmpPort: number;
  httpFlvPort: number;
  /** node-media-server's JSON store (stream history); a per-lab temp dir. */
  dataDir: string;
  rtsp?: { publishPort: number; playPort: number; rtpPortStart: number; rtpPortCount: number };
  /** node-media-server's HTTP API on the HTTP-FLV port (`/api/v1`, its list of streams): JWTs signed with `jwtSecret`, a login per user. */
  api?: { jwtSecret: string; users: { username: string; password: string }[] };
  /** Where node-media-server posts its publish and play callbacks (`notify.url`). */
  notifyUrl?: string;
}

export interface MediaServers {
  readonly pid: number;
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 15_000;
const entry = fileURLToPath(new URL('./media-servers-main.ts', import.meta.url));
/**
 * tsx's loader as resolved from this package: `--import tsx` would resolve it from the working
 * directory, which has no tsx when streamguard runs installed or from another directory.
 */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Starts RTMP + HTTP-FLV (and RTSP when configured) in a child process, on loopback. */
export async function startMediaServers(config: MediaServersConfig): Promise<MediaServers> {
  const child: ChildProcess = track(
    spawn(process.execPath, ['--import', TSX_LOADER, entry, JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    }),
  );
  const serverLog = log.child({ component: 'lab-media-servers', pid: child.pid });
  // Their console output is chatty debug text: keep it at debug level, but drain it always
  // so a full pipe can never block the servers.
  child.stdout?.on('data', (chunk: Buffer) => serverLog.debug(chunk.toString().trimEnd()));
  child.stderr?.on('data', (chunk: Buffer) => serverLog.warn(chunk.toString().trimEnd()));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('media servers did not start in time')), STARTUP_TIMEOUT_MS);
    child.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`media servers exited during startup (code ${code}, signal ${signal})`));
    });
  }).catch(async (error: unknown) => {
    await killAndWait(child);
    throw error;
  });
  serverLog.info({ host: LOOPBACK, rtmp: config.rtmpPort, httpFlv: config.httpFlvPort, rtsp: config.rtsp }, 'media servers up');

  return {
    pid: child.pid ?? -1,
    stop: () => killAndWait(child),
  };
}
