import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/devices/serial/lines.ts';

describe('LineSplitter', () => {
  it('joins lines split across chunks and drops the CR of CRLF', () => {
    const s = new LineSplitter();
    expect(s.push(Buffer.from('20;12;Pir;ID=aa'))).toEqual({ lines: [], overlong: 0 });
    expect(s.push(Buffer.from('66;PIR=ON;\r\n20;07;PO'))).toEqual({ lines: ['20;12;Pir;ID=aa66;PIR=ON;'], overlong: 0 });
    expect(s.push(Buffer.from('NG;\r\n\n'))).toEqual({ lines: ['20;07;PONG;', ''], overlong: 0 });
  });

  it('drops a line longer than its bound, once, and carries on after it', () => {
    const s = new LineSplitter(16);
    expect(s.push(Buffer.alloc(10, 0xff))).toEqual({ lines: [], overlong: 0 });
    expect(s.push(Buffer.alloc(10, 0xff))).toEqual({ lines: [], overlong: 1 });
    expect(s.push(Buffer.alloc(1000, 0x41))).toEqual({ lines: [], overlong: 0 });
    expect(s.push(Buffer.from('tail\n20;99;PONG;\n'))).toEqual({ lines: ['20;99;PONG;'], overlong: 0 });
  });

  it('forgets a partial line on reset', () => {
    const s = new LineSplitter();
    s.push(Buffer.from('20;63;Smoke'));
    s.reset();
    expect(s.push(Buffer.from('20;99;PONG;\n')).lines).toEqual(['20;99;PONG;']);
  });
});
