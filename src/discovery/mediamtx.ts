import { z } from 'zod';
import type { PublishedStream } from './published.ts';
import { basicAuth, getOk, parseAnswer, type StreamListSource } from './source.ts';

const PAGE = 100;

/** MediaMTX control API `GET /v3/paths/list`: `{pageCount, items: [{name, ready}]}`. */
const MediamtxPaths = z.object({
  pageCount: z.number().int(),
  items: z.array(z.object({ name: z.string(), ready: z.boolean() })),
});

/**
 * MediaMTX: the paths that are ready (a publisher or source is on them; a path readers wait on is
 * not). A path `live/room-7` is app `live`, name `room-7`; a path without a slash has app "".
 */
export class MediamtxStreamList implements StreamListSource {
  constructor(
    private readonly baseUrl: string,
    private readonly credentials?: { username: string; password: string },
  ) {}

  async list(): Promise<PublishedStream[]> {
    const out: PublishedStream[] = [];
    for (let page = 0; ; page++) {
      const url = new URL(`/v3/paths/list?page=${page}&itemsPerPage=${PAGE}`, this.baseUrl).href;
      const paths = parseAnswer(MediamtxPaths, await getOk(url, basicAuth(this.credentials)), url);
      out.push(...paths.items.filter((p) => p.ready).map((p) => splitPath(p.name)));
      if (page + 1 >= paths.pageCount) return out;
    }
  }
}

function splitPath(path: string): PublishedStream {
  const i = path.lastIndexOf('/');
  return i < 0 ? { app: '', name: path } : { app: path.slice(0, i), name: path.slice(i + 1) };
}
