/**
 * Draws the amoCRM widget's logos (reference/amocrm.md 3.1: exact sizes, png, each ≤ 300 KB)
 * into widget/amocrm/images/. The PNGs are committed; run this only to change the artwork:
 *   npx tsx scripts/widget-images.ts
 * A tiny PNG encoder on node:zlib keeps image tooling out of the dependencies: the logo is a
 * brand-coloured tile with a white chat bubble holding a "C" (chatbridge), 4× supersampled.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";

/** 3.1: file name -> [width, height]. */
export const WIDGET_IMAGES: Readonly<Record<string, readonly [number, number]>> = {
  "logo_main.png": [400, 272],
  "logo_small.png": [108, 108],
  "logo.png": [130, 100],
  "logo_medium.png": [240, 84],
  "logo_min.png": [84, 84],
  "logo_dp.png": [174, 109],
};

type Rgba = readonly [number, number, number, number];

const BRAND: Rgba = [14, 159, 110, 255];
const WHITE: Rgba = [255, 255, 255, 255];
const CLEAR: Rgba = [0, 0, 0, 0];

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** An 8-bit RGBA, non-interlaced PNG (colour type 6), each row with filter 0. */
export function encodePng(width: number, height: number, pixel: (x: number, y: number) => Rgba): Buffer {
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 4 + 1);
    raw[row] = 0;
    for (let x = 0; x < width; x++) {
      const [r, g, b, a] = pixel(x, y);
      raw.set([r, g, b, a], row + 1 + x * 4);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw, { level: 9 })), chunk("IEND", new Uint8Array(0))]);
}

/** Which colour a point of the logo has, in coordinates where the shorter side is 1. */
function shapeAt(u: number, v: number, w: number, h: number): Rgba {
  const corner = 0.12;
  // rounded tile
  const cx = Math.min(Math.max(u, corner), w - corner);
  const cy = Math.min(Math.max(v, corner), h - corner);
  if (Math.hypot(u - cx, v - cy) > corner) return CLEAR;
  const mx = w / 2;
  const my = h / 2 - 0.03;
  const d = Math.hypot(u - mx, v - my);
  const r = 0.3;
  // bubble tail: a triangle below-left of the bubble
  const tx = u - (mx - 0.2);
  const ty = v - (my + 0.17);
  const inTail = ty >= 0 && ty <= 0.16 && tx >= 0 && tx <= 0.14 - ty * 0.9;
  if (d > r && !inTail) return BRAND;
  // the "C": a ring with its right side cut open
  const angle = Math.atan2(v - my, u - mx);
  const inRing = d > 0.11 && d < 0.19;
  const open = Math.abs(angle) < 0.75;
  return inRing && !open ? BRAND : WHITE;
}

export function drawLogo(width: number, height: number): Buffer {
  const unit = Math.min(width, height);
  const n = 4;
  return encodePng(width, height, (x, y) => {
    let r = 0;
    let g = 0;
    let b = 0;
    let a = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const [pr, pg, pb, pa] = shapeAt((x + (i + 0.5) / n) / unit, (y + (j + 0.5) / n) / unit, width / unit, height / unit);
        r += pr * pa;
        g += pg * pa;
        b += pb * pa;
        a += pa;
      }
    }
    if (a === 0) return CLEAR;
    return [Math.round(r / a), Math.round(g / a), Math.round(b / a), Math.round(a / (n * n))];
  });
}

function main(): void {
  const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "widget", "amocrm", "images");
  for (const [name, [w, h]] of Object.entries(WIDGET_IMAGES)) {
    const png = drawLogo(w, h);
    writeFileSync(join(dir, name), png);
    console.log(`${name} ${w}x${h} ${png.length} bytes`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
