import { formatLabel, formatNumber, formatPerf, stableLabels } from '../../src/runtime/perfdata';
import { parseRange } from '../../src/runtime/range';

describe('perfdata', () => {
  test('plain decimal, never exponent notation', () => {
    expect(formatNumber(0.0000001)).toBe('0.0000001');
    expect(String(0.0000001)).toBe('1e-7'); // what we avoid
    expect(formatNumber(1e21)).toBe('1000000000000000000000');
    expect(formatNumber(0.25)).toBe('0.25');
    expect(formatNumber(-0.5)).toBe('-0.5');
    expect(formatNumber(3)).toBe('3');
    expect(formatNumber(-0.0000000000001)).toBe('0');
    expect(() => formatNumber(NaN)).toThrow();
    expect(() => formatNumber(Infinity)).toThrow();
  });

  test('labels quoted only when needed, never = or quote', () => {
    expect(formatLabel('holders')).toBe('holders');
    expect(formatLabel('rs 192.168.0.4:80')).toBe("'rs 192.168.0.4:80'");
    expect(formatLabel("a=b'c")).toBe('a_b_c');
    expect(formatLabel('x|y')).toBe('x_y');
  });

  test('trailing empty fields trimmed, inner ones kept', () => {
    expect(formatPerf({ label: 'holders', value: 1 })).toBe('holders=1');
    expect(formatPerf({ label: 'time', value: 0.0000001, uom: 's' })).toBe('time=0.0000001s');
    expect(formatPerf({ label: 'live', value: 2, min: 0 })).toBe('live=2;;;0');
    expect(formatPerf({ label: 'live', value: 2, min: 0, max: 2 })).toBe('live=2;;;0;2');
  });

  test('simple upper bounds become plain numbers (Icinga 2), others keep their text', () => {
    expect(formatPerf({ label: 't', value: 1, uom: 's', warn: parseRange('5'), crit: parseRange('0:10') })).toBe('t=1s;5;10');
    expect(formatPerf({ label: 'l', value: 1, warn: parseRange('2:'), crit: parseRange('@1:1') })).toBe('l=1;2:;@1:1');
  });
});

describe('stableLabels at any size', () => {
  test('50 000 clashing labels: never two equal 19-character keys, never a throw, the plain ones untouched', () => {
    const perf = Array.from({ length: 50000 }, (_, i) => ({ label: `t192_168_0_3_80_rs10_${i}_80_inact`, value: i })); // all equal in 19 characters
    perf.push({ label: 'total_conns', value: 1 });
    const out = stableLabels(perf);
    const keys = out.map((p) => p.label.slice(0, 19));
    expect(new Set(keys).size).toBe(keys.length);
    expect(out.length).toBeGreaterThan(49900);
    expect(out[out.length - 1]).toEqual({ label: 'total_conns', value: 1 });
    expect(out.every((p) => p.label === 'total_conns' || /^h[0-9a-f]{6,8}_t192_168_0_3_80_rs10_\d+_80_inact$/.test(p.label))).toBe(true);
  });
});
