import http from 'node:http';
import { log } from '../shared/log.ts';
import { faultSchema } from './fault-schema.ts';
import { LabLookupError, type Lab } from './lab.ts';
import { LineStateError } from './line.ts';
import { LOOPBACK } from './ports.ts';

export interface ControlServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'body too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
}

/**
 * HTTP control of a running lab, for people and for tests in other processes:
 *   GET    /lab          streams, URLs, active faults and the ground-truth log
 *   POST   /lab/faults   inject one fault (JSON, see fault-schema.ts) → its truth record
 *   DELETE /lab/faults   end every fault, restore every line
 */
export async function startControlServer(lab: Lab, port = 0): Promise<ControlServer> {
  const logger = log.child({ component: 'lab-control' });
  const route = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/lab' && req.method === 'GET') return send(res, 200, lab.describe());
    if (path !== '/lab/faults') throw new HttpError(404, 'not found');
    if (req.method === 'DELETE') {
      await lab.clearFaults();
      return send(res, 200, { activeFaults: lab.describe().activeFaults });
    }
    if (req.method !== 'POST') throw new HttpError(405, 'method not allowed');
    const parsed = faultSchema.safeParse(await readJson(req));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || '(body)';
      throw new HttpError(400, `${field}: ${issue?.message ?? 'invalid'}`);
    }
    send(res, 200, await lab.applyFault(parsed.data));
  };

  const server = http.createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      const status =
        error instanceof HttpError ? error.status : error instanceof LabLookupError ? 404 : error instanceof LineStateError ? 409 : 500;
      if (status === 500) logger.error({ err: error }, 'control request failed');
      send(res, status, { error: error instanceof Error ? error.message : String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    port: bound,
    url: `http://${LOOPBACK}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
