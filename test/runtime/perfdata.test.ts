import { formatLabel, formatNumber, formatPerf, rangePerf, stableLabels } from '../../src/runtime/perfdata';
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

describe('perfdata: each rule at its edge', () => {
  test('formatNumber', () => {
    expect(formatNumber(1e21)).toBe('1000000000000000000000');
    expect(formatNumber(-1e21)).toBe('-1000000000000000000000');
    expect(formatNumber(1e20)).toBe('100000000000000000000');
    expect(formatNumber(-3)).toBe('-3');
    expect(formatNumber(0.1 + 0.2)).toBe('0.3');
    expect(formatNumber(1.5)).toBe('1.5');
    expect(formatNumber(-1.25)).toBe('-1.25');
    expect(formatNumber(1e-13)).toBe('0');
    expect(formatNumber(-1e-13)).toBe('0');
    expect(formatNumber(100.5)).toBe('100.5');
    expect(() => formatNumber(NaN)).toThrow('perfdata value is not a finite number: NaN');
    expect(() => formatNumber(Infinity)).toThrow('perfdata value is not a finite number: Infinity');
  });
  test('formatLabel', () => {
    expect(formatLabel('a=b')).toBe('a_b');
    expect(formatLabel("a'b")).toBe('a_b');
    expect(formatLabel('a|b=c')).toBe('a_b_c');
    expect(formatLabel('A_z9')).toBe('A_z9');
    expect(formatLabel('a b')).toBe("'a b'");
    expect(formatLabel('a:b')).toBe("'a:b'");
    expect(formatLabel('')).toBe("''");
  });
  test('rangePerf and formatPerf', () => {
    expect(rangePerf(undefined)).toBe('');
    expect(rangePerf('5:')).toBe('5:');
    expect(rangePerf(parseRange('10'))).toBe('10');
    expect(rangePerf(parseRange('0:10'))).toBe('10');
    expect(rangePerf(parseRange('10:'))).toBe('10:');
    expect(rangePerf(parseRange('@0:10'))).toBe('@0:10');
    expect(rangePerf(parseRange('1:10'))).toBe('1:10');
    expect(rangePerf(parseRange('~:10'))).toBe('~:10');
    expect(formatPerf({ label: 'x', value: 1 })).toBe('x=1');
    expect(formatPerf({ label: 'x', value: 1, uom: 's', max: 5 })).toBe('x=1s;;;;5');
    expect(formatPerf({ label: 'x', value: 1, min: 0 })).toBe('x=1;;;0');
    expect(formatPerf({ label: 'x y', value: 2.5, uom: '%', warn: parseRange('80'), crit: '90:', min: 0, max: 100 })).toBe("'x y'=2.5%;80;90:;0;100");
  });
  test('stableLabels: untouched without a clash; FNV-1a tags on the clashing ones only', () => {
    // FNV-1a 32 written again here, checked on its published vectors.
    const fnv = (s: string) => {
      let h = 0x811c9dc5;
      for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
      return h;
    };
    expect(fnv('').toString(16)).toBe('811c9dc5');
    expect(fnv('a').toString(16)).toBe('e40c292c');
    expect(fnv('foobar').toString(16)).toBe('bf9cf968');
    const plain = [{ label: 'a', value: 1 }, { label: 'b', value: 2 }];
    expect(stableLabels(plain)).toBe(plain);
    const a = 'abcdefghijklmnopqrs_1';
    const b = 'abcdefghijklmnopqrs_2';
    const out = stableLabels([{ label: a, value: 1 }, { label: 'other', value: 2 }, { label: b, value: 3 }]);
    expect(out.map((p) => p.label)).toEqual([`h${fnv(a).toString(16).padStart(8, '0').slice(0, 6)}_${a}`, 'other', `h${fnv(b).toString(16).padStart(8, '0').slice(0, 6)}_${b}`]);
    expect(out.map((p) => p.value)).toEqual([1, 2, 3]);
    // The same label twice: its 6-digit tags clash too, the second takes 8 digits; a third is left out.
    const tag = (s: string, n: number) => `h${fnv(s).toString(16).padStart(8, '0').slice(0, n)}_${s}`;
    expect(stableLabels([{ label: a, value: 1 }, { label: a, value: 2 }, { label: a, value: 3 }]).map((p) => `${p.label}=${p.value}`)).toEqual([`${tag(a, 6)}=1`, `${tag(a, 8)}=2`]);
  });
});
