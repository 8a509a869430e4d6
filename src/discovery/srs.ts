import { z } from 'zod';
import type { PublishedStream } from './published.ts';
import { basicAuth, getOk, ListError, parseAnswer, type StreamListSource } from './source.ts';

/** One page of SRS's `/api/v1/streams` (its default page is 10 streams). */
const PAGE = 100;

/** SRS HTTP API `GET /api/v1/streams`: `{code: 0, streams: [{app, name, publish: {active}}]}`. */
const SrsStreams = z.object({
  code: z.number(),
  streams: z.array(z.object({ app: z.string(), name: z.string(), publish: z.object({ active: z.boolean() }).optional() })),
});

/** SRS: the streams with an active publisher, page by page. */
export class SrsStreamList implements StreamListSource {
  constructor(
    private readonly baseUrl: string,
    private readonly credentials?: { username: string; password: string },
  ) {}

  async list(): Promise<PublishedStream[]> {
    const out: PublishedStream[] = [];
    for (let start = 0; ; start += PAGE) {
      const url = new URL(`/api/v1/streams?start=${start}&count=${PAGE}`, this.baseUrl).href;
      const page = parseAnswer(SrsStreams, await getOk(url, basicAuth(this.credentials)), url);
      if (page.code !== 0) throw new ListError(`GET ${url}: SRS answered code ${page.code}`);
      out.push(...page.streams.filter((s) => s.publish?.active === true).map(({ app, name }) => ({ app, name })));
      if (page.streams.length < PAGE) return out;
    }
  }
}
