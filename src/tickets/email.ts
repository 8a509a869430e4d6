import { createHash } from 'node:crypto';
import net from 'node:net';
import { hostname } from 'node:os';
import tls from 'node:tls';
import type { z } from 'zod';
import type { EmailVendorSchema } from './config-schema.ts';
import { scrub, secret } from './secrets.ts';
import { subject, textBody } from './message.ts';
import { DeliveryError, type DeliveryContext, type DeliveryResult, type TicketMessage, type TicketVendor } from './types.ts';

type Config = z.infer<typeof EmailVendorSchema>;

/** Email through an SMTP relay (the account manager's mailbox, a vendor's support address). */
export class EmailVendor implements TicketVendor {
  readonly type = 'email';
  readonly name: string;
  constructor(
    private readonly cfg: Config,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.name = cfg.name;
  }

  async send(msg: TicketMessage, _ctx: DeliveryContext): Promise<DeliveryResult> {
    const user = secret(this.env, this.cfg.userEnv, `vendor ${this.name}`);
    const password = secret(this.env, this.cfg.passwordEnv, `vendor ${this.name}`);
    const mail: Mail = {
      from: this.cfg.from,
      to: this.cfg.to,
      subject: subject(msg),
      text: textBody(msg),
      // Same idempotency key → same Message-ID: a resend is recognisable as a duplicate.
      messageId: `<${createHash('sha256').update(msg.idempotencyKey).digest('hex').slice(0, 32)}@streamguard>`,
    };
    const opts: SmtpOptions = { host: this.cfg.host, port: this.cfg.port, secure: this.cfg.secure, timeoutMs: this.cfg.timeoutMs };
    if (this.cfg.helo !== undefined) opts.helo = this.cfg.helo;
    if (user !== undefined && password !== undefined) opts.auth = { user, password };
    const code = await sendMail(opts, mail);
    return { status: code };
  }
}

export interface SmtpOptions {
  host: string;
  port: number;
  /** Implicit TLS (SMTPS, 465). */
  secure?: boolean;
  helo?: string;
  auth?: { user: string; password: string };
  timeoutMs?: number;
  /** TLS: accept a self-signed relay certificate (tests). */
  rejectUnauthorized?: boolean;
}

export interface Mail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  messageId?: string;
  date?: Date;
}

/**
 * A minimal SMTP client (RFC 5321): greeting, EHLO, optional AUTH PLAIN, MAIL FROM, RCPT TO,
 * DATA (dot-stuffed, base64 UTF-8 body), QUIT. Resolves with the final reply code to DATA.
 * 4xx replies and network errors are retryable DeliveryErrors, 5xx permanent; the credentials
 * never appear in one, even when the relay quotes them back.
 */
export function sendMail(opts: SmtpOptions, mail: Mail): Promise<number> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const secrets = opts.auth ? [opts.auth.user, opts.auth.password] : [];
  return new Promise<number>((resolve, reject) => {
    const socket: net.Socket = opts.secure
      ? tls.connect({ host: opts.host, port: opts.port, servername: opts.host, rejectUnauthorized: opts.rejectUnauthorized ?? true })
      : net.connect({ host: opts.host, port: opts.port });
    socket.setTimeout(timeoutMs);
    let buf = '';
    let lines: string[] = [];
    let waiting: ((r: { code: number; text: string }) => void) | undefined;
    let settled = false;
    /** Reply code to the message once the relay accepted it: whatever happens after (QUIT) is success. */
    let accepted: number | undefined;
    const finish = (err?: Error, code?: number) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (accepted !== undefined) resolve(accepted);
      else if (err) reject(err);
      else resolve(code!);
    };
    socket.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        lines.push(line);
        // Multi-line replies: "250-…" continue, "250 …" ends.
        if (/^\d{3}(?: |$)/.test(line)) {
          const code = Number(line.slice(0, 3));
          const text = lines.join('\n');
          lines = [];
          const w = waiting;
          waiting = undefined;
          w?.({ code, text });
        }
      }
    });
    socket.on('timeout', () => finish(new DeliveryError(`smtp ${opts.host}:${opts.port}: timeout after ${timeoutMs} ms`, true)));
    socket.on('error', (err: Error & { code?: string }) => finish(new DeliveryError(`smtp ${opts.host}:${opts.port}: ${err.code ?? err.message}`, true)));
    socket.on('close', () => finish(new DeliveryError(`smtp ${opts.host}:${opts.port}: connection closed`, true)));

    const reply = () => new Promise<{ code: number; text: string }>((r) => (waiting = r));
    const expect = async (cmd: string | undefined, ok: number[], what: string) => {
      const p = reply();
      if (cmd !== undefined) socket.write(`${cmd}\r\n`);
      const r = await p;
      if (!ok.includes(r.code)) throw new DeliveryError(`smtp ${opts.host}:${opts.port} ${what}: ${scrub(r.text, secrets)}`, r.code < 500, r.code);
      return r;
    };

    (async () => {
      await expect(undefined, [220], 'greeting');
      await expect(`EHLO ${opts.helo ?? hostname()}`, [250], 'EHLO');
      if (opts.auth) await expect(`AUTH PLAIN ${Buffer.from(`\0${opts.auth.user}\0${opts.auth.password}`).toString('base64')}`, [235], 'AUTH');
      await expect(`MAIL FROM:<${address(mail.from)}>`, [250], 'MAIL FROM');
      for (const to of mail.to) await expect(`RCPT TO:<${address(to)}>`, [250, 251], `RCPT TO ${to}`);
      await expect('DATA', [354], 'DATA');
      const r = await expect(`${formatMessage(mail).replace(/\r\n\./g, '\r\n..')}\r\n.`, [250], 'message');
      // The message is accepted at 250; QUIT's answer is a courtesy.
      accepted = r.code;
      await expect('QUIT', [221], 'QUIT').catch(() => undefined);
      finish(undefined, r.code);
    })().catch((err: Error) => finish(err));
  });
}

function address(s: string): string {
  const m = /<([^>]+)>/.exec(s);
  return (m ? m[1]! : s).trim();
}

function encodeHeader(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=`;
}

/** RFC 5322 message with CRLF line ends; the body base64 (UTF-8 safe without 8BITMIME). */
export function formatMessage(mail: Mail): string {
  const headers = [
    `From: ${mail.from}`,
    `To: ${mail.to.join(', ')}`,
    `Subject: ${encodeHeader(mail.subject)}`,
    `Date: ${(mail.date ?? new Date()).toUTCString()}`,
    ...(mail.messageId ? [`Message-ID: ${mail.messageId}`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    'X-Mailer: streamguard',
  ];
  const body = Buffer.from(mail.text.replace(/\r?\n/g, '\r\n')).toString('base64').replace(/.{1,76}/g, '$&\r\n').trimEnd();
  return `${headers.join('\r\n')}\r\n\r\n${body}`;
}
