/**
 * The benchmark chart: four panels (commit throughput, commit latency, query
 * throughput, audit cost against stored records), drawn on `Raster`.
 */
import { Raster, Rgb } from './png';

export interface Series {
  label: string;
  color: Rgb;
  points: readonly (readonly [number, number])[];
  /** Dash length in pixels; 0 or absent for a solid line. */
  dash?: number;
}

export interface PanelSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  xLog?: boolean;
  /** X ticks to label; by default nice linear ticks or decades. */
  xTicks?: readonly number[];
}

const INK: Rgb = [40, 40, 40];
const GRID: Rgb = [225, 225, 225];
const MUTED: Rgb = [110, 110, 110];

/** Colours for series, in order. */
export const Palette: readonly Rgb[] = [
  [31, 119, 180],
  [214, 39, 40],
  [44, 160, 44],
  [255, 127, 14],
  [148, 103, 189],
  [140, 86, 75],
];

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (raw <= m * magnitude) return m * magnitude;
  return 10 * magnitude;
}

function format(value: number): string {
  if (value >= 1_000_000) return `${+(value / 1_000_000).toFixed(1)}M`;
  if (value >= 10_000) return `${+(value / 1000).toFixed(1)}K`;
  return `${+value.toFixed(2)}`;
}

/** Draws one panel into the box (x, y, w, h). */
export function drawPanel(r: Raster, x: number, y: number, w: number, h: number, spec: PanelSpec): void {
  const left = x + 80;
  const right = x + w - 20;
  const top = y + 40;
  const bottom = y + h - 60;
  r.text(x + 10, y + 8, spec.title, INK, 2);

  const points = spec.series.flatMap((s) => s.points).filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py));
  const xs = points.map(([px]) => px);
  const ys = points.map(([, py]) => py);
  const xMin = xs.length ? Math.min(...xs) : 0;
  const xMax = xs.length ? Math.max(...xs) : 1;
  const yMaxRaw = ys.length ? Math.max(...ys) : 1;
  const yStep = niceStep(yMaxRaw || 1, 5);
  const yMax = Math.ceil((yMaxRaw || 1) / yStep) * yStep;

  const tx = (v: number): number => {
    if (spec.xLog) {
      const a = Math.log(xMin);
      const b = Math.log(xMax);
      return b === a ? (left + right) / 2 : left + ((Math.log(v) - a) / (b - a)) * (right - left);
    }
    return xMax === xMin ? (left + right) / 2 : left + ((v - xMin) / (xMax - xMin)) * (right - left);
  };
  const ty = (v: number): number => bottom - (v / yMax) * (bottom - top);

  for (let v = 0; v <= yMax + yStep / 2; v += yStep) {
    r.line(left, ty(v), right, ty(v), GRID);
    const label = format(v);
    r.text(left - 8 - Raster.textWidth(label, 1.5), ty(v) - 5, label, MUTED, 1.5);
  }
  const xTicks =
    spec.xTicks ??
    (spec.xLog
      ? [1, 10, 100, 1e3, 1e4, 1e5, 1e6].filter((v) => v >= xMin / 1.01 && v <= xMax * 1.01)
      : Array.from({ length: 6 }, (_, i) => xMin + ((xMax - xMin) * i) / 5));
  for (const v of xTicks) {
    r.line(tx(v), top, tx(v), bottom, GRID);
    const label = format(v);
    r.text(tx(v) - Raster.textWidth(label, 1.5) / 2, bottom + 8, label, MUTED, 1.5);
  }
  r.line(left, top, left, bottom, INK);
  r.line(left, bottom, right, bottom, INK);
  r.text((left + right) / 2 - Raster.textWidth(spec.xLabel, 1.5) / 2, bottom + 30, spec.xLabel, INK, 1.5);
  r.verticalText(x + 8, (top + bottom) / 2, spec.yLabel, INK, 1.5);

  spec.series.forEach((s) => {
    const pts = s.points.filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py));
    for (let i = 1; i < pts.length; i += 1) {
      r.line(tx(pts[i - 1][0]), ty(pts[i - 1][1]), tx(pts[i][0]), ty(pts[i][1]), s.color, 2, s.dash ?? 0);
    }
    for (const [px, py] of pts) r.dot(tx(px), ty(py), 7, s.color);
  });

  let ly = top + 6;
  for (const s of spec.series) {
    r.line(left + 12, ly + 5, left + 36, ly + 5, s.color, 3, s.dash ?? 0);
    r.text(left + 42, ly, s.label, INK, 1.5);
    ly += 16;
  }
}

/** Lays out a grid of panels under a title and returns the PNG bytes. */
export function renderChart(title: string, panels: readonly PanelSpec[], columns = 2): Buffer {
  const panelWidth = 700;
  const panelHeight = 460;
  const rows = Math.ceil(panels.length / columns);
  const r = new Raster(panelWidth * columns, panelHeight * rows + 40);
  r.text(10, 10, title, INK, 2.5);
  panels.forEach((spec, i) => {
    drawPanel(r, (i % columns) * panelWidth, 40 + Math.floor(i / columns) * panelHeight, panelWidth, panelHeight, spec);
  });
  return r.toPng();
}
