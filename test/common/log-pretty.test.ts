import { describe, expect, it } from 'vitest';
import { humanMessage, prettyLine } from '../../src/common/log-pretty.ts';

describe('human log lines', () => {
  const at = Date.UTC(2024, 0, 1, 13, 45, 2);

  it('one line: UTC time of day, level, who, message, the other fields as key=value', () => {
    const json = JSON.stringify({ level: 40, time: at, component: 'probe', region: 'cn-east', stream: 'show1', line: 'primary', protocol: 'rtmp', msg: 'line down (refused)', detail: 'Connection refused' });
    expect(prettyLine({ colorize: false })(`${json}\n`)).toBe('13:45:02 WARN: probe cn-east show1/primary [rtmp]: line down (refused) detail="Connection refused"\n');
  });

  it('a nested component with sub; a pid is a field; objects as compact JSON', () => {
    expect(humanMessage({ component: 'hub', sub: 'store', msg: 'opened', pid: 12, ports: { rtmp: 1935 }, ok: true })).toBe('hub/store: opened pid=12 ports={"rtmp":1935} ok=true');
    expect(humanMessage({ msg: 'lab up' })).toBe('lab up');
  });

  it('an error: its message inline, its stack frames indented below', () => {
    const err = { type: 'Error', message: 'disk full', stack: 'Error: disk full\n    at write (store.ts:1:2)\n    at flush (store.ts:3:4)' };
    expect(humanMessage({ component: 'hub', msg: 'writing samples failed', err })).toBe('hub: writing samples failed err="disk full"\n    at write (store.ts:1:2)\n    at flush (store.ts:3:4)');
    expect(humanMessage({ msg: 'preview ended', err: 'spawn ENOENT' })).toBe('preview ended err="spawn ENOENT"');
  });
});
