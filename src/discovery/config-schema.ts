import { z } from 'zod';
import { durationSchema } from '../model/duration.ts';
import { envNameSchema, ID_PATTERN, idSchema } from '../model/ids.ts';
import { LineSchema, STREAM_KINDS } from '../model/stream.ts';
import { expandTemplate, unknownPlaceholders } from './template.ts';

/**
 * `discovery:` section of the config (docs/operations.md, "Streams at run time"): media servers
 * whose published streams the hub adds while they are published and retires when they end.
 * Self-contained (src/config/schema.ts embeds it).
 *
 * ```yaml
 * discovery:
 *   - name: edge-a
 *     type: node-media-server          # or srs, mediamtx, webhook (callbacks only)
 *     url: http://127.0.0.1:8000       # the server's HTTP API
 *     usernameEnv: NMS_USER            # API credentials, read from the environment
 *     passwordEnv: NMS_PASSWORD
 *     pollEvery: 2s
 *     app: live                        # only this application's streams
 *     id: '{name}'                     # the stream id
 *     kind: call
 *     lines:
 *       primary: rtmp://127.0.0.1:1935/live/{name}
 *       backup: http://127.0.0.1:8000/live/{name}.flv
 *     hookTokenEnv: EDGE_A_HOOK_TOKEN  # accept on_publish/on_unpublish callbacks with ?token=
 * ```
 */

export const DISCOVERY_TYPES = ['node-media-server', 'srs', 'mediamtx', 'webhook'] as const;

/** An example name a template is tried with, to check that it makes a valid URL or id. */
const EXAMPLE = { name: 'example', app: 'live' };

const template = z
  .string()
  .min(1)
  .superRefine((t, ctx) => {
    const unknown = unknownPlaceholders(t);
    if (unknown.length > 0) ctx.addIssue({ code: 'custom', message: `unknown placeholder(s) ${unknown.map((k) => `{${k}}`).join(', ')} (use {name}, {app})` });
  });

const lineTemplate = template.superRefine((t, ctx) => {
  if (!t.includes('{name}')) ctx.addIssue({ code: 'custom', message: 'a line template needs {name}: otherwise every discovered stream gets the same URL' });
  const r = LineSchema.shape.url.safeParse(expandTemplate(t, EXAMPLE));
  if (!r.success) ctx.addIssue({ code: 'custom', message: `with name "${EXAMPLE.name}": ${r.error.issues[0]!.message}` });
});

export const DiscoverySourceSchema = z
  .strictObject({
    name: idSchema,
    type: z.enum(DISCOVERY_TYPES),
    /** Base URL of the server's HTTP API (not for `webhook`). */
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    usernameEnv: envNameSchema.optional(),
    passwordEnv: envNameSchema.optional(),
    pollEvery: durationSchema.default(2000),
    /** Only streams of this application (`live`); every application when absent. */
    app: z.string().min(1).optional(),
    /** The stream id; must come out as an id (letters, digits, "_", "." or "-"). Names that do not are skipped with a warning. */
    id: template.default('{name}'),
    kind: z.enum(Object.keys(STREAM_KINDS) as [keyof typeof STREAM_KINDS]).optional(),
    lines: z.record(idSchema, lineTemplate).refine((l) => Object.keys(l).length > 0, 'a discovered stream needs at least one line'),
    /** The environment variable holding the secret of this source's callbacks (`?token=`); no callbacks without it. */
    hookTokenEnv: envNameSchema.optional(),
  })
  .superRefine((s, ctx) => {
    if (s.type !== 'webhook' && s.url === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: `a ${s.type} source needs the url of its HTTP API` });
    if (s.type === 'webhook' && s.hookTokenEnv === undefined) ctx.addIssue({ code: 'custom', path: ['hookTokenEnv'], message: 'a webhook source needs hookTokenEnv (the secret its callbacks carry)' });
    if (s.type === 'node-media-server' && (s.usernameEnv === undefined || s.passwordEnv === undefined)) {
      ctx.addIssue({ code: 'custom', path: [s.usernameEnv === undefined ? 'usernameEnv' : 'passwordEnv'], message: "node-media-server's API needs a login: usernameEnv and passwordEnv" });
    }
    if ((s.usernameEnv === undefined) !== (s.passwordEnv === undefined)) ctx.addIssue({ code: 'custom', path: ['passwordEnv'], message: 'give usernameEnv and passwordEnv together' });
    if (!ID_PATTERN.test(expandTemplate(s.id, EXAMPLE))) ctx.addIssue({ code: 'custom', path: ['id'], message: `with name "${EXAMPLE.name}" it gives "${expandTemplate(s.id, EXAMPLE)}", not an id (letters, digits, "_", "." or "-")` });
    if (s.pollEvery < 200) ctx.addIssue({ code: 'custom', path: ['pollEvery'], message: 'at least 200ms' });
  });

export type DiscoverySource = z.infer<typeof DiscoverySourceSchema>;

export const DiscoveryConfigSchema = z.array(DiscoverySourceSchema).default([]);
