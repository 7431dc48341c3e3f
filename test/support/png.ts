import { inflateSync } from "node:zlib";

/** A decoded 8-bit RGB(A) image: what Chromium's screenshots are. */
export interface DecodedPng {
  width: number;
  height: number;
  /** rgba(x, y) as 0xRRGGBBAA */
  pixel(x: number, y: number): number;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Decodes a non-interlaced 8-bit truecolour PNG (colour type 2 or 6), the only kind Chromium
 * writes for screenshots. No image library is a dependency, and a screenshot check that
 * looks at pixels is worth the 60 lines: a byte count cannot tell a page from a grey box.
 */
export function decodePng(png: Buffer): DecodedPng {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error("not a PNG: bad signature");
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, colourType, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      if (depth !== 8 || (colourType !== 2 && colourType !== 6) || interlace !== 0) {
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${colourType}, interlace ${interlace}`);
      }
      channels = colourType === 6 ? 4 : 3;
    } else if (type === "IDAT") {
      idat.push(data);
    } else if (type === "IEND") {
      break;
    }
    offset += 12 + length;
  }
  if (channels === 0) throw new Error("not a PNG: no IHDR");
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length !== height * (stride + 1)) throw new Error(`PNG data is ${raw.length} bytes, expected ${height * (stride + 1)}`);
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    for (let i = 0; i < stride; i++) {
      const left = i >= channels ? pixels[row + i - channels]! : 0;
      const up = y > 0 ? pixels[row - stride + i]! : 0;
      const upLeft = y > 0 && i >= channels ? pixels[row - stride + i - channels]! : 0;
      const predictor = filter === 0 ? 0 : filter === 1 ? left : filter === 2 ? up : filter === 3 ? (left + up) >> 1 : filter === 4 ? paeth(left, up, upLeft) : NaN;
      if (Number.isNaN(predictor)) throw new Error(`bad PNG filter ${filter} on row ${y}`);
      pixels[row + i] = (line[i]! + predictor) & 0xff;
    }
  }
  return {
    width,
    height,
    pixel(x, y) {
      const at = y * stride + x * channels;
      const alpha = channels === 4 ? pixels[at + 3]! : 0xff;
      return ((pixels[at]! << 24) | (pixels[at + 1]! << 16) | (pixels[at + 2]! << 8) | alpha) >>> 0;
    },
  };
}

export interface InkStats {
  /** distinct colours in the image */
  colours: number;
  /** share of pixels that differ from the most common colour (the background) */
  inked: number;
  /** share of pixels that are dark (every channel below 0x80): text and borders on a light page */
  dark: number;
}

/** How much is drawn on an image: a blank page has one colour and no ink. */
export function inkStats(image: DecodedPng): InkStats {
  const counts = new Map<number, number>();
  let dark = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const p = image.pixel(x, y);
      counts.set(p, (counts.get(p) ?? 0) + 1);
      if (p >>> 24 < 0x80 && ((p >>> 16) & 0xff) < 0x80 && ((p >>> 8) & 0xff) < 0x80) dark += 1;
    }
  }
  const total = image.width * image.height;
  let background = 0;
  for (const n of counts.values()) background = Math.max(background, n);
  return { colours: counts.size, inked: (total - background) / total, dark: dark / total };
}
