/**
 * The grid's level colours (console.css, :root) for people who see colour differently: each text
 * colour at least 4.5:1 on its fill (WCAG AA), and the fills of ok, degraded, down and no data
 * still apart (CIELAB ΔE ≥ 20) for protanopia, deuteranopia and tritanopia (Machado et al. 2009,
 * severity 1) and in greyscale (luminance contrast ≥ 1.5:1). The cells also carry a symbol and a
 * word, so colour is never the only cue; this keeps the colour a fair second one.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const CSS = readFileSync(new URL('../../src/console/public/console.css', import.meta.url), 'utf8');
const LEVELS = ['ok', 'degraded', 'down', 'unknown'] as const;
type Rgb = [number, number, number];

function cssColour(name: string): Rgb {
  const m = new RegExp(`--${name}:\\s*#([0-9a-f]{6})`, 'i').exec(CSS);
  if (!m) throw new Error(`console.css has no --${name}: #rrggbb`);
  const hex = m[1]!;
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255) as Rgb;
}

const toLinear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const linear = (rgb: Rgb) => rgb.map(toLinear) as Rgb;
const luminance = (rgb: Rgb) => {
  const [r, g, b] = linear(rgb);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const contrast = (a: Rgb, b: Rgb) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
};

const MACHADO: Record<string, number[]> = {
  protanopia: [0.152286, 1.052583, -0.204868, 0.114503, 0.786281, 0.099216, -0.003882, -0.048116, 1.051998],
  deuteranopia: [0.367322, 0.860646, -0.227968, 0.280085, 0.672501, 0.047413, -0.01182, 0.04294, 0.968881],
  tritanopia: [1.255528, -0.076749, -0.178779, -0.078411, 0.930809, 0.147602, 0.004733, 0.691367, 0.3039],
};
const clamp = (x: number) => Math.min(1, Math.max(0, x));
/** Linear RGB as seen with the deficiency. */
function simulate(rgb: Rgb, m: number[]): Rgb {
  const [r, g, b] = linear(rgb);
  return [0, 1, 2].map((i) => clamp(m[i * 3]! * r + m[i * 3 + 1]! * g + m[i * 3 + 2]! * b)) as Rgb;
}
/** CIELAB (D65) of linear RGB. */
function lab([r, g, b]: Rgb): Rgb {
  const xyz = [(0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883];
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  const [fx, fy, fz] = xyz.map(f) as Rgb;
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}
const deltaE = (a: Rgb, b: Rgb) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

describe('console level palette', () => {
  it('every level text is at least 4.5:1 on its fill', () => {
    for (const level of LEVELS) {
      const ratio = contrast(cssColour(`${level}-fg`), cssColour(`${level}-bg`));
      console.log(`palette: ${level} text on fill ${ratio.toFixed(1)}:1`);
      expect(ratio, level).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('the fills stay apart for protanopia, deuteranopia, tritanopia and in greyscale', () => {
    for (const [name, m] of Object.entries(MACHADO)) {
      for (const [i, a] of LEVELS.entries()) {
        for (const b of LEVELS.slice(i + 1)) {
          const d = deltaE(lab(simulate(cssColour(`${a}-bg`), m)), lab(simulate(cssColour(`${b}-bg`), m)));
          console.log(`palette: ${name} ${a}/${b} ΔE ${d.toFixed(0)}`);
          expect(d, `${name}: ${a} vs ${b}`).toBeGreaterThanOrEqual(20);
        }
      }
    }
    for (const [i, a] of LEVELS.entries()) {
      for (const b of LEVELS.slice(i + 1)) {
        const ratio = contrast(cssColour(`${a}-bg`), cssColour(`${b}-bg`));
        console.log(`palette: greyscale ${a}/${b} ${ratio.toFixed(2)}:1`);
        expect(ratio, `greyscale: ${a} vs ${b}`).toBeGreaterThanOrEqual(1.5);
      }
    }
  });
});
