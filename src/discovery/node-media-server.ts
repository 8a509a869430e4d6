import { z } from 'zod';
import type { PublishedStream } from './published.ts';
import { getJson, ListError, parseAnswer, TIMEOUT_MS, whyNoAnswer, type StreamListSource } from './source.ts';

/** node-media-server 4.x `GET /api/v1/streams`: `{success, data: {streams: [{app, name, status, publisher}]}}`. */
const NmsStreams = z.object({
  success: z.literal(true),
  data: z.object({ streams: z.array(z.object({ app: z.string(), name: z.string(), status: z.string().optional(), publisher: z.unknown() })) }),
});
const NmsLogin = z.object({ success: z.literal(true), data: z.object({ token: z.string().min(1) }) });

/**
 * node-media-server 4.x: its API (on its HTTP port, enabled with `auth.jwt`) takes a JWT from
 * `POST /api/v1/login` with a user and password; the token is kept until the API refuses it
 * (401), then one new login. Published means `status: publishing`: a broadcast with players
 * waiting and no publisher is `idle`, and one whose publisher left is `reconnecting` for 30 s (the
 * server keeps the publish for a returning publisher, and sends its donePublish callback only after
 * that): the stream has ended for its viewers, so it is retired then, and added again if the
 * publisher returns. Servers before 4.3 give no status: a publisher present is published.
 */
export class NodeMediaServerStreamList implements StreamListSource {
  private token: string | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly credentials: { username: string; password: string },
  ) {}

  async list(): Promise<PublishedStream[]> {
    const url = new URL('/api/v1/streams', this.baseUrl).href;
    let r = await getJson(url, { authorization: `Bearer ${await this.login()}` });
    if (r.status === 401) {
      this.token = undefined;
      r = await getJson(url, { authorization: `Bearer ${await this.login()}` });
    }
    if (r.status !== 200) throw new ListError(`GET ${url}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    const published = (s: { status?: string | undefined; publisher: unknown }) => (s.status !== undefined ? s.status === 'publishing' : s.publisher !== null && s.publisher !== undefined);
    return parseAnswer(NmsStreams, r.body, url).data.streams.filter(published).map(({ app, name }) => ({ app, name }));
  }

  private async login(): Promise<string> {
    if (this.token !== undefined) return this.token;
    const url = new URL('/api/v1/login', this.baseUrl).href;
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(this.credentials), signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (err) {
      throw new ListError(`POST ${url}: ${whyNoAnswer(err)}`);
    }
    const body: unknown = await res.json().catch(() => undefined);
    const parsed = NmsLogin.safeParse(body);
    if (res.status !== 200 || !parsed.success) throw new ListError(`POST ${url}: login refused (HTTP ${res.status} ${JSON.stringify(body ?? null).slice(0, 200)})`);
    this.token = parsed.data.data.token;
    return this.token;
  }
}
