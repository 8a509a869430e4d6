import express, { type ErrorRequestHandler } from 'express';
import { errorMiddleware, HttpError, jsonBody, listen, notFound, validBody } from '../http/index.ts';
import { log } from '../common/log.ts';
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

/** The lab's own failures as HTTP: an unknown stream or protocol is 404, a line in the wrong state 409. */
const labErrors: ErrorRequestHandler = (err: unknown, _req, _res, next) => {
  if (err instanceof LabLookupError) return next(new HttpError('not_found', err.message));
  if (err instanceof LineStateError) return next(new HttpError('conflict', err.message));
  next(err);
};

/**
 * HTTP control of a running lab, for people and for tests in other processes:
 *   GET    /lab          streams, URLs, active faults and the ground-truth log
 *   POST   /lab/faults   inject one fault (JSON, see fault-schema.ts) → its truth record
 *   DELETE /lab/faults   end every fault, restore every line
 */
function controlApp(lab: Lab): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/lab', (_req, res) => {
    res.json(lab.describe());
  });
  app
    .route('/lab/faults')
    .post(...jsonBody(MAX_BODY_BYTES), async (req, res) => {
      res.json(await lab.applyFault(validBody(faultSchema, req.body)));
    })
    .delete(async (_req, res) => {
      await lab.clearFaults();
      res.json({ activeFaults: lab.describe().activeFaults });
    })
    .all((req) => {
      throw new HttpError('method_not_allowed', `${req.method} ${req.path}: use POST (one fault) or DELETE (clear all)`);
    });
  app.use(notFound, labErrors, errorMiddleware(log.child({ component: 'lab-control' })));
  return app;
}

export async function startControlServer(lab: Lab, port = 0): Promise<ControlServer> {
  const listening = await listen(controlApp(lab), port, LOOPBACK);
  return { port: listening.port, url: `http://${LOOPBACK}:${listening.port}`, close: () => listening.close() };
}
