/**
 * A tiny RGB raster with lines, rectangles, dots and a 5×7 bitmap font, and a
 * PNG encoder on node:zlib. It draws the benchmark chart with no dependency,
 * so `npm run bench` needs nothing beyond `npm ci` on a fresh machine.
 */
import { deflateSync } from 'node:zlib';

export type Rgb = readonly [number, number, number];

/** 5×7 glyphs, rows top to bottom, '#' = ink. Lowercase letters are drawn as capitals. */
const FONT: Record<string, string> = {
  '0': ' ### |#   #|#  ##|# # #|##  #|#   #| ### ',
  '1': '  #  | ##  |  #  |  #  |  #  |  #  | ### ',
  '2': ' ### |#   #|    #|   # |  #  | #   |#####',
  '3': '#####|   # |  #  |   # |    #|#   #| ### ',
  '4': '   # |  ## | # # |#  # |#####|   # |   # ',
  '5': '#####|#    |#### |    #|    #|#   #| ### ',
  '6': '  ## | #   |#    |#### |#   #|#   #| ### ',
  '7': '#####|    #|   # |  #  | #   | #   | #   ',
  '8': ' ### |#   #|#   #| ### |#   #|#   #| ### ',
  '9': ' ### |#   #|#   #| ####|    #|   # | ##  ',
  A: ' ### |#   #|#   #|#####|#   #|#   #|#   #',
  B: '#### |#   #|#   #|#### |#   #|#   #|#### ',
  C: ' ### |#   #|#    |#    |#    |#   #| ### ',
  D: '###  |#  # |#   #|#   #|#   #|#  # |###  ',
  E: '#####|#    |#    |#### |#    |#    |#####',
  F: '#####|#    |#    |#### |#    |#    |#    ',
  G: ' ### |#   #|#    |# ###|#   #|#   #| ####',
  H: '#   #|#   #|#   #|#####|#   #|#   #|#   #',
  I: ' ### |  #  |  #  |  #  |  #  |  #  | ### ',
  J: '  ###|   # |   # |   # |   # |#  # | ##  ',
  K: '#   #|#  # |# #  |##   |# #  |#  # |#   #',
  L: '#    |#    |#    |#    |#    |#    |#####',
  M: '#   #|## ##|# # #|# # #|#   #|#   #|#   #',
  N: '#   #|#   #|##  #|# # #|#  ##|#   #|#   #',
  O: ' ### |#   #|#   #|#   #|#   #|#   #| ### ',
  P: '#### |#   #|#   #|#### |#    |#    |#    ',
  Q: ' ### |#   #|#   #|#   #|# # #|#  # | ## #',
  R: '#### |#   #|#   #|#### |# #  |#  # |#   #',
  S: ' ####|#    |#    | ### |    #|    #|#### ',
  T: '#####|  #  |  #  |  #  |  #  |  #  |  #  ',
  U: '#   #|#   #|#   #|#   #|#   #|#   #| ### ',
  V: '#   #|#   #|#   #|#   #|#   #| # # |  #  ',
  W: '#   #|#   #|#   #|# # #|# # #|# # #| # # ',
  X: '#   #|#   #| # # |  #  | # # |#   #|#   #',
  Y: '#   #|#   #| # # |  #  |  #  |  #  |  #  ',
  Z: '#####|    #|   # |  #  | #   |#    |#####',
  ' ': '     |     |     |     |     |     |     ',
  '.': '     |     |     |     |     | ##  | ##  ',
  ',': '     |     |     |     | ##  |  #  | #   ',
  ':': '     | ##  | ##  |     | ##  | ##  |     ',
  '/': '     |    #|   # |  #  | #   |#    |     ',
  '(': '   # |  #  | #   | #   | #   |  #  |   # ',
  ')': ' #   |  #  |   # |   # |   # |  #  | #   ',
  '-': '     |     |     |#####|     |     |     ',
  _: '     |     |     |     |     |     |#####',
  '%': '##   |##  #|   # |  #  | #   |#  ##|   ##',
  '=': '     |     |#####|     |#####|     |     ',
  '<': '   # |  #  | #   |#    | #   |  #  |   # ',
  '>': ' #   |  #  |   # |    #|   # |  #  | #   ',
  '+': '     |  #  |  #  |#####|  #  |  #  |     ',
  '*': '     |# # #| ### |#####| ### |# # #|     ',
  '?': ' ### |#   #|    #|   # |  #  |     |  #  ',
  '@': ' ### |#   #|# ###|# # #|# ###|#    | ####',
  '[': ' ### | #   | #   | #   | #   | #   | ### ',
  ']': ' ### |   # |   # |   # |   # |   # | ### ',
};

/** An RGB image with simple drawing operations. */
export class Raster {
  private readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    this.pixels = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i += 1) this.pixels.set(background, i * 3);
  }

  set(x: number, y: number, color: Rgb): void {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= this.width || yi >= this.height) return;
    this.pixels.set(color, (yi * this.width + xi) * 3);
  }

  rect(x: number, y: number, w: number, h: number, color: Rgb): void {
    for (let j = Math.round(y); j < Math.round(y + h); j += 1) {
      for (let i = Math.round(x); i < Math.round(x + w); i += 1) this.set(i, j, color);
    }
  }

  /** A line of the given thickness; `dash` > 0 draws dashes of that many pixels. */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb, thickness = 1, dash = 0): void {
    const length = Math.hypot(x1 - x0, y1 - y0);
    const steps = Math.max(1, Math.ceil(length * 2));
    const half = (thickness - 1) / 2;
    for (let s = 0; s <= steps; s += 1) {
      if (dash > 0 && Math.floor(s / 2 / dash) % 2 === 1) continue;
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      this.rect(x - half, y - half, thickness, thickness, color);
    }
  }

  /** A filled square marker centred on (x, y). */
  dot(x: number, y: number, size: number, color: Rgb): void {
    this.rect(x - size / 2, y - size / 2, size, size, color);
  }

  /** Draws TEXT with its top-left at (x, y), each font pixel SCALE pixels wide. Returns the width. */
  text(x: number, y: number, text: string, color: Rgb, scale = 2): number {
    let cursor = x;
    for (const ch of text.toUpperCase()) {
      const glyph = FONT[ch] ?? FONT['?'];
      glyph.split('|').forEach((row, r) => {
        for (let c = 0; c < row.length; c += 1) {
          if (row[c] === '#') this.rect(cursor + c * scale, y + r * scale, scale, scale, color);
        }
      });
      cursor += 6 * scale;
    }
    return cursor - x;
  }

  /** Text width in pixels at SCALE. */
  static textWidth(text: string, scale = 2): number {
    return text.length * 6 * scale;
  }

  /** Text rotated 90° counter-clockwise, its baseline along x = X, centred on y = CY. */
  verticalText(x: number, cy: number, text: string, color: Rgb, scale = 2): void {
    const total = Raster.textWidth(text, scale);
    let cursor = cy + total / 2;
    for (const ch of text.toUpperCase()) {
      const glyph = FONT[ch] ?? FONT['?'];
      glyph.split('|').forEach((row, r) => {
        for (let c = 0; c < row.length; c += 1) {
          if (row[c] === '#') this.rect(x + r * scale, cursor - (c + 1) * scale, scale, scale, color);
        }
      });
      cursor -= 6 * scale;
    }
  }

  /** Encodes the image as a PNG (8-bit RGB, no interlace). */
  toPng(): Buffer {
    const raw = Buffer.alloc((this.width * 3 + 1) * this.height);
    for (let y = 0; y < this.height; y += 1) {
      raw[y * (this.width * 3 + 1)] = 0; // filter: none
      Buffer.from(this.pixels.buffer, y * this.width * 3, this.width * 3).copy(raw, y * (this.width * 3 + 1) + 1);
    }
    const header = Buffer.alloc(13);
    header.writeUInt32BE(this.width, 0);
    header.writeUInt32BE(this.height, 4);
    header.writeUInt8(8, 8); // bit depth
    header.writeUInt8(2, 9); // colour type: RGB
    return Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', header),
      chunk('IDAT', deflateSync(raw, { level: 9 })),
      chunk('IEND', Buffer.alloc(0)),
    ]);
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length, 0);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body), 0);
  return Buffer.concat([length, body, crc]);
}
