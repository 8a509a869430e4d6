import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TicketsConfigSchema } from '../../src/tickets/config-schema.ts';
import { drill, formatDrillReport } from '../../src/tickets/drill.ts';
import { sendMail } from '../../src/tickets/email.ts';
import { DeliveryError } from '../../src/tickets/types.ts';
import { FakeSmtp } from './helpers.ts';

/** A local relay for one test (stopped after it). */
async function smtpServer(opts: { rcptReply?: () => string; auth?: string } = {}): Promise<FakeSmtp> {
  const smtp = await new FakeSmtp().start();
  smtp.auth = opts.auth;
  smtp.rcptReply = opts.rcptReply;
  cleanup.push(() => smtp.stop());
  return smtp;
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

function decodeBody(data: string): { headers: string; subject: string; text: string } {
  const [headers, body] = data.split('\r\n\r\n');
  const enc = /^Subject: (.*)$/m.exec(headers!)![1]!;
  const b64 = /^=\?UTF-8\?B\?(.*)\?=$/.exec(enc);
  return { headers: headers!, subject: b64 ? Buffer.from(b64[1]!, 'base64').toString('utf8') : enc, text: Buffer.from(body!.replace(/\r\n/g, ''), 'base64').toString('utf8') };
}

describe('SMTP client over node:net', () => {
  it('EHLO, AUTH PLAIN, MAIL FROM, RCPT TO each recipient, DATA with headers and a UTF-8 body', async () => {
    const auth = Buffer.from('\0ops\0s3cret').toString('base64');
    const smtp = await smtpServer({ auth });
    const code = await sendMail(
      { host: '127.0.0.1', port: smtp.port, helo: 'hub.example', auth: { user: 'ops', password: 's3cret' } },
      { from: 'streamguard <sg@example.com>', to: ['am@cdn.example', 'oncall@example.com'], subject: '[P0] 直播 s1 down', text: 'line one\n.starts with a dot\n故障', messageId: '<abc@streamguard>' },
    );
    expect(code).toBe(250);
    const s = smtp.sessions[0]!;
    expect(s.commands).toEqual(['EHLO hub.example', `AUTH PLAIN ${auth}`, 'MAIL FROM:<sg@example.com>', 'RCPT TO:<am@cdn.example>', 'RCPT TO:<oncall@example.com>', 'DATA', 'QUIT']);
    const { headers, text } = decodeBody(s.data);
    expect(headers).toContain('From: streamguard <sg@example.com>');
    expect(headers).toContain('To: am@cdn.example, oncall@example.com');
    expect(headers).toContain(`Subject: =?UTF-8?B?${Buffer.from('[P0] 直播 s1 down').toString('base64')}?=`);
    expect(headers).toContain('Message-ID: <abc@streamguard>');
    expect(text).toBe('line one\r\n.starts with a dot\r\n故障');
  });

  it('4xx is retryable, 5xx permanent, refused connection retryable', async () => {
    let reply = '451 4.3.0 try later\r\n';
    const smtp = await smtpServer({ rcptReply: () => reply });
    const mail = { from: 'a@b.c', to: ['x@y.z'], subject: 's', text: 't' };
    const e1 = await sendMail({ host: '127.0.0.1', port: smtp.port }, mail).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(DeliveryError);
    expect(e1).toMatchObject({ retryable: true, status: 451 });
    reply = '550 5.1.1 no such user\r\n';
    const e2 = await sendMail({ host: '127.0.0.1', port: smtp.port }, mail).catch((e: unknown) => e);
    expect(e2).toMatchObject({ retryable: false, status: 550 });
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const e3 = await sendMail({ host: '127.0.0.1', port }, mail).catch((e: unknown) => e);
    expect(e3).toMatchObject({ retryable: true });
    expect((e3 as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('drill from config alone reaches the account manager by email', async () => {
    const smtp = await smtpServer();
    const config = TicketsConfigSchema.parse({
      vendors: [{ name: 'am-mail', type: 'email', host: '127.0.0.1', port: smtp.port, from: 'sg@example.com', to: ['am@cdn.example'], use: 'escalation' }],
      escalation: { chain: [{ name: 'account manager', channel: 'am-mail' }] },
      roles: { describe: 'Alice', decide: { name: 'Dave', contact: '+86 1' } },
    });
    const report = await drill(config, { by: 'test' });
    expect(report.ok).toBe(true);
    expect(report.channels).toEqual([{ name: 'am-mail', type: 'email', uses: ['escalation: account manager'], ok: true, ms: expect.any(Number), status: 250 }]);
    const { subject, text } = decodeBody(smtp.sessions[0]!.data);
    expect(subject).toBe('[DRILL] streamguard contact test — no action needed');
    expect(text).toContain('DRILL — this is a test');
    expect(text).toContain('decides on degradation: Dave (+86 1)');
    expect(formatDrillReport(report)).toMatch(/all channels answered\n {2}ok {3}am-mail \(email; escalation: account manager\) \d+ ms \[250\]/);
  });
});
