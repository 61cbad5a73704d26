import type { NodeChange } from '../../protocol/replay';
import type { NodeStatus, NodeSummary } from '../../protocol/runs';
import { boxHeight, boxWidth, type Layout, type PlacedOption } from '../model/layout';
import type { RunGraph } from '../model/runGraph';
import { type Side, tintOf } from '../model/sideBySide';
import { compact, formatDuration, formatTokens } from './format';
import { type Palette, readPalette } from './theme';

/**
 * Draws the laid-out run on one <canvas>: a few thousand boxes per frame is cheap for canvas and
 * ruinous for DOM/SVG (webview/README.md). Only what intersects the viewport is drawn, text only
 * when it is readable (zoom ≥ 0.45), and all edges go out as one path. Redraws are coalesced to
 * one per animation frame.
 */
export interface View {
  x: number;
  y: number;
  k: number;
}

export interface Scene {
  readonly graph: RunGraph;
  readonly layout: Layout;
  readonly collapsed: ReadonlySet<string>;
  readonly hiddenCounts: ReadonlyMap<string, number>;
  readonly selected: string | undefined;
  readonly matches: ReadonlySet<string>;
  readonly currentMatch: string | undefined;
  /** Timeline replay: the nodes shown and their status then; undefined → everything, live. */
  readonly timeline: ReadonlyMap<string, NodeStatus> | undefined;
  /** Diff mode: how each node changed against the compared run; undefined → not comparing. */
  readonly changes?: ReadonlyMap<string, NodeChange> | undefined;
  /** Diff mode: the first node that departs from the compared run, outlined. */
  readonly firstDivergence?: string | undefined;
  /** Which side of a comparison this graph is (tints differ per side); b when not said. */
  readonly side?: Side;
}

export interface CanvasEvents {
  select(id: string | undefined): void;
  toggle(id: string): void;
  viewChanged(view: View): void;
  drawn(visible: number): void;
  resized(): void;
}

const minZoom = 0.02;
/** Below this zoom boxes are drawn without text. */
const readableZoom = 0.45;
const maxZoom = 3;

export class GraphCanvas {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private scene: Scene | undefined;
  view: View = { x: 0, y: 0, k: 1 };
  private palette: Palette;
  private frame = 0;
  private width = 0;
  private height = 0;
  private readonly labels = new Map<string, { text: string; label: string }>();

  constructor(
    private readonly container: HTMLElement,
    private readonly events: CanvasEvents,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'graph-canvas';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'application');
    this.canvas.setAttribute('aria-label', 'Run graph: arrow keys move between nodes, Enter collapses or expands');
    container.append(this.canvas);
    const ctx = this.canvas.getContext('2d', { alpha: false });
    if (ctx === null) throw new Error('This browser cannot draw on a canvas.');
    this.ctx = ctx;
    this.palette = readPalette();
    new ResizeObserver(() => this.resize()).observe(container);
    this.resize();
    this.bindPointer();
  }

  setScene(scene: Scene): void {
    this.scene = scene;
    this.requestDraw();
  }

  refreshPalette(): void {
    this.palette = readPalette();
    this.requestDraw();
  }

  setView(view: View): void {
    this.view = { x: view.x, y: view.y, k: clamp(view.k, minZoom, maxZoom) };
    this.events.viewChanged(this.view);
    this.requestDraw();
  }

  /**
   * Whole graph in view (zoom capped at 1 so a small run is not blown up). `readable` keeps the
   * zoom where text is drawn: a run too wide for that is shown from its first root instead.
   */
  fit(readable = false): void {
    const layout = this.scene?.layout;
    if (layout === undefined || layout.order.length === 0) return;
    const { minX, minY, maxX, maxY } = layout.bounds;
    const pad = 24;
    const whole = clamp(
      Math.min((this.width - 2 * pad) / (maxX - minX || 1), (this.height - 2 * pad) / (maxY - minY || 1), 1),
      minZoom,
      maxZoom,
    );
    if (!readable || whole >= readableZoom) {
      const topDown = layout.orientation === 'top-down';
      this.setView(
        topDown
          ? { k: whole, x: (this.width - (maxX - minX) * whole) / 2 - minX * whole, y: pad - minY * whole }
          : { k: whole, x: pad - minX * whole, y: (this.height - (maxY - minY) * whole) / 2 - minY * whole },
      );
      return;
    }
    const first = layout.placed.get(layout.order[0] as string);
    if (first === undefined) return;
    const k = readableZoom;
    this.setView(
      layout.orientation === 'top-down'
        ? { k, x: this.width / 2 - (first.x + boxWidth / 2) * k, y: pad - first.y * k }
        : { k, x: pad - first.x * k, y: this.height / 2 - (first.y + boxHeight / 2) * k },
    );
  }

  /** Pans (keeping the zoom, at least readable) so the node is in view. */
  reveal(id: string): void {
    const placed = this.scene?.layout.placed.get(id);
    if (placed === undefined) return;
    const { x, y, k } = this.view;
    const left = placed.x * k + x;
    const top = placed.y * k + y;
    const margin = 40;
    if (left >= margin && top >= margin && left + boxWidth * k <= this.width - margin && top + boxHeight * k <= this.height - margin)
      return;
    const zoom = Math.max(k, 0.6);
    this.setView({ k: zoom, x: this.width / 2 - (placed.x + boxWidth / 2) * zoom, y: this.height / 2 - (placed.y + boxHeight / 2) * zoom });
  }

  zoomBy(factor: number, cx = this.width / 2, cy = this.height / 2): void {
    const k = clamp(this.view.k * factor, minZoom, maxZoom);
    const ratio = k / this.view.k;
    this.setView({ k, x: cx - (cx - this.view.x) * ratio, y: cy - (cy - this.view.y) * ratio });
  }

  requestDraw(): void {
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** The node (or the decision owning an option) under a point in canvas pixels. */
  hit(px: number, py: number): string | undefined {
    const scene = this.scene;
    if (scene === undefined) return undefined;
    const gx = (px - this.view.x) / this.view.k;
    const gy = (py - this.view.y) / this.view.k;
    for (const placed of scene.layout.placed.values()) {
      if (gx >= placed.x && gx <= placed.x + boxWidth && gy >= placed.y && gy <= placed.y + boxHeight) {
        if (scene.timeline === undefined || scene.timeline.has(placed.id)) return placed.id;
      }
    }
    for (const option of scene.layout.options) {
      if (gx >= option.x && gx <= option.x + boxWidth && gy >= option.y && gy <= option.y + optionHeight) return option.decisionId;
    }
    return undefined;
  }

  private resize(): void {
    const rect = this.container.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    this.width = Math.max(1, rect.width);
    this.height = Math.max(1, rect.height);
    this.canvas.width = Math.round(this.width * dpr);
    this.canvas.height = Math.round(this.height * dpr);
    this.canvas.style.width = `${this.width}px`;
    this.canvas.style.height = `${this.height}px`;
    this.events.resized();
    this.requestDraw();
  }

  private bindPointer(): void {
    let drag: { x: number; y: number; vx: number; vy: number; moved: boolean } | undefined;
    this.canvas.addEventListener('pointerdown', (event) => {
      this.canvas.focus();
      drag = { x: event.clientX, y: event.clientY, vx: this.view.x, vy: this.view.y, moved: false };
      this.canvas.setPointerCapture(event.pointerId);
    });
    this.canvas.addEventListener('pointermove', (event) => {
      if (drag === undefined) return;
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
      drag.moved = true;
      this.setView({ ...this.view, x: drag.vx + dx, y: drag.vy + dy });
    });
    this.canvas.addEventListener('pointerup', (event) => {
      const wasDrag = drag?.moved ?? false;
      drag = undefined;
      if (wasDrag) return;
      const rect = this.canvas.getBoundingClientRect();
      this.events.select(this.hit(event.clientX - rect.left, event.clientY - rect.top));
    });
    this.canvas.addEventListener('dblclick', (event) => {
      const rect = this.canvas.getBoundingClientRect();
      const id = this.hit(event.clientX - rect.left, event.clientY - rect.top);
      if (id !== undefined) this.events.toggle(id);
    });
    this.canvas.addEventListener(
      'wheel',
      (event) => {
        event.preventDefault();
        const rect = this.canvas.getBoundingClientRect();
        if (event.ctrlKey || event.metaKey || Math.abs(event.deltaY) > Math.abs(event.deltaX)) {
          this.zoomBy(
            Math.exp(-event.deltaY * (event.deltaMode === 1 ? 0.05 : 0.002)),
            event.clientX - rect.left,
            event.clientY - rect.top,
          );
        } else {
          this.setView({ ...this.view, x: this.view.x - event.deltaX, y: this.view.y - event.deltaY });
        }
      },
      { passive: false },
    );
  }

  private draw(): void {
    const { ctx, palette: p } = this;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = p.background;
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    const scene = this.scene;
    if (scene === undefined) return;
    const { k, x, y } = this.view;
    ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * x, dpr * y);
    const view = { minX: -x / k, minY: -y / k, maxX: (this.width - x) / k, maxY: (this.height - y) / k };
    const inView = (bx: number, by: number, w: number, h: number) =>
      bx + w >= view.minX && bx <= view.maxX && by + h >= view.minY && by <= view.maxY;
    const { layout, timeline } = scene;
    const topDown = layout.orientation === 'top-down';
    const shown = (id: string) => timeline === undefined || timeline.has(id);

    // Tree edges: one path, one stroke.
    ctx.beginPath();
    for (const id of layout.order) {
      const child = layout.placed.get(id);
      if (child?.parentId == null || !shown(id)) continue;
      const parent = layout.placed.get(child.parentId);
      if (parent === undefined) continue;
      const x0 = Math.min(parent.x, child.x);
      const y0 = Math.min(parent.y, child.y);
      if (!inView(x0, y0, Math.abs(parent.x - child.x) + boxWidth, Math.abs(parent.y - child.y) + boxHeight)) continue;
      edge(ctx, topDown, parent.x, parent.y, child.x, child.y, boxHeight);
    }
    ctx.strokeStyle = p.edge;
    ctx.lineWidth = 1.25 / Math.max(k, 0.5);
    ctx.stroke();

    const detailed = k >= readableZoom;
    let visible = 0;
    for (const id of layout.order) {
      if (!shown(id)) continue;
      visible++;
      const placed = layout.placed.get(id);
      const node = scene.graph.get(id);
      if (placed === undefined || node === undefined || !inView(placed.x, placed.y, boxWidth, boxHeight)) continue;
      const status = timeline?.get(id) ?? node.status;
      this.drawNode(node, placed.x, placed.y, status, scene, detailed);
    }
    if (layout.options.length > 0) this.drawOptions(scene, layout.options, inView, detailed);
    this.events.drawn(visible);
  }

  private drawNode(node: NodeSummary, bx: number, by: number, status: NodeStatus, scene: Scene, detailed: boolean): void {
    const { ctx, palette: p } = this;
    const colour = p.status[status];
    const isMatch = scene.matches.has(node.id);
    ctx.fillStyle = isMatch ? p.match : p.box;
    ctx.fillRect(bx, by, boxWidth, boxHeight);
    if (isMatch) {
      ctx.fillStyle = p.box;
      ctx.globalAlpha = 0.35;
      ctx.fillRect(bx, by, boxWidth, boxHeight);
      ctx.globalAlpha = 1;
    }
    const tint = scene.changes === undefined ? undefined : tintOf(scene.side ?? 'b', scene.changes.get(node.id));
    const diffColour = tint === undefined ? undefined : p.diff[tint];
    if (diffColour !== undefined) {
      ctx.fillStyle = diffColour;
      ctx.globalAlpha = 0.3;
      ctx.fillRect(bx, by, boxWidth, boxHeight);
      ctx.globalAlpha = 1;
    }
    ctx.fillStyle = colour;
    ctx.fillRect(bx, by, 4, boxHeight);
    const selected = scene.selected === node.id;
    const current = scene.currentMatch === node.id;
    if (diffColour !== undefined && !selected && !current) {
      ctx.lineWidth = scene.firstDivergence === node.id ? 3 : 1.5;
      ctx.strokeStyle = diffColour;
      ctx.strokeRect(bx, by, boxWidth, boxHeight);
    } else if (selected || current || detailed) {
      ctx.lineWidth = selected || current ? 2.5 : 1;
      ctx.strokeStyle = selected ? p.focus : current ? p.currentMatch : node.placeholder ? p.muted : p.border;
      if (node.placeholder) ctx.setLineDash([4, 3]);
      ctx.strokeRect(bx, by, boxWidth, boxHeight);
      ctx.setLineDash([]);
    }
    if (scene.firstDivergence === node.id) {
      // A ring outside the box, so it stays visible while the node is also selected.
      ctx.lineWidth = 2.5;
      ctx.strokeStyle = diffColour ?? p.currentMatch;
      ctx.setLineDash([6, 3]);
      ctx.strokeRect(bx - 5, by - 5, boxWidth + 10, boxHeight + 10);
      ctx.setLineDash([]);
    }
    const hidden = scene.collapsed.has(node.id) ? (scene.hiddenCounts.get(node.id) ?? 0) : 0;
    if (!detailed) {
      if (hidden > 0) {
        ctx.fillStyle = p.badge;
        ctx.fillRect(bx + boxWidth - 28, by + boxHeight - 6, 24, 6);
      }
      return;
    }
    kindIcon(ctx, node.kind, bx + 16, by + boxHeight / 2, colour);
    ctx.fillStyle = p.foreground;
    ctx.font = `600 12px ${p.font}`;
    ctx.textBaseline = 'alphabetic';
    const name = node.name ?? (node.placeholder ? '(not arrived yet)' : node.id);
    ctx.fillText(this.fitText(`n:${node.id}`, name, boxWidth - 36), bx + 30, by + 17);
    // Second line: kind · duration · tokens, and "+N" for a collapsed subtree.
    ctx.font = `11px ${p.font}`;
    ctx.fillStyle = p.muted;
    const parts = [node.kind, formatDuration(node.durationMs), formatTokens(node.tokensIn, node.tokensOut)].filter((part) => part !== '');
    if (node.replayed) parts.push(node.diverged ? 'diverged' : 'replayed');
    ctx.fillText(this.fitText(`m:${node.id}:${parts.join()}`, parts.join(' · '), boxWidth - 36 - (hidden > 0 ? 44 : 0)), bx + 30, by + 32);
    if (hidden > 0) {
      const text = `+${compact(hidden)}`;
      ctx.font = `600 10px ${p.font}`;
      const w = ctx.measureText(text).width + 10;
      ctx.fillStyle = p.badge;
      roundRect(ctx, bx + boxWidth - w - 6, by + boxHeight - 17, w, 13, 6);
      ctx.fill();
      ctx.fillStyle = p.foreground;
      ctx.fillText(text, bx + boxWidth - w - 1, by + boxHeight - 7);
    }
  }

  private drawOptions(
    scene: Scene,
    options: readonly PlacedOption[],
    inView: (x: number, y: number, w: number, h: number) => boolean,
    detailed: boolean,
  ): void {
    const { ctx, palette: p } = this;
    const topDown = scene.layout.orientation === 'top-down';
    for (const option of options) {
      const decision = scene.graph.decisions.get(option.decisionId);
      const parent = scene.layout.placed.get(option.decisionId);
      const spec = decision?.options[option.index];
      if (decision === undefined || parent === undefined || spec === undefined) continue;
      if (scene.timeline !== undefined && !scene.timeline.has(option.decisionId)) continue;
      if (
        !inView(
          Math.min(parent.x, option.x),
          Math.min(parent.y, option.y),
          Math.abs(parent.x - option.x) + boxWidth,
          Math.abs(parent.y - option.y) + boxHeight,
        )
      )
        continue;
      const chosen = decision.chosen === spec.label;
      // Cross edge decision → option: dashed; the chosen one solid and in the focus colour.
      ctx.beginPath();
      edge(ctx, topDown, parent.x, parent.y, option.x, option.y, optionHeight);
      ctx.setLineDash(chosen ? [] : [5, 4]);
      ctx.strokeStyle = chosen ? p.status.ok : p.edge;
      ctx.lineWidth = chosen ? 2 : 1;
      ctx.globalAlpha = chosen ? 1 : 0.5;
      ctx.stroke();
      ctx.setLineDash([]);
      roundRect(ctx, option.x, option.y, boxWidth, optionHeight, 12);
      ctx.fillStyle = p.box;
      ctx.fill();
      ctx.strokeStyle = chosen ? p.status.ok : p.border;
      ctx.stroke();
      if (detailed) {
        ctx.fillStyle = p.foreground;
        ctx.font = `${chosen ? '600 ' : ''}11px ${p.font}`;
        const score = spec.score === undefined ? '' : `  ${Number(spec.score.toFixed(3))}`;
        ctx.fillText(
          this.fitText(`o:${option.decisionId}:${option.index}`, `${chosen ? '✓ ' : ''}${spec.label}${score}`, boxWidth - 16),
          option.x + 10,
          option.y + 16,
        );
      }
      ctx.globalAlpha = 1;
    }
  }

  /** Text cut with "…" to a width; cached per key since measuring is the costly part of a frame. */
  private fitText(key: string, text: string, width: number): string {
    const cached = this.labels.get(key);
    if (cached !== undefined && cached.text === text) return cached.label;
    let label = text;
    if (this.ctx.measureText(label).width > width) {
      let lo = 0;
      let hi = text.length;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (this.ctx.measureText(`${text.slice(0, mid)}…`).width <= width) lo = mid;
        else hi = mid - 1;
      }
      label = `${text.slice(0, lo)}…`;
    }
    if (this.labels.size > 100_000) this.labels.clear();
    this.labels.set(key, { text, label });
    return label;
  }
}

export const optionHeight = 24;

function edge(ctx: CanvasRenderingContext2D, topDown: boolean, px: number, py: number, cx: number, cy: number, childHeight: number): void {
  if (topDown) {
    const x0 = px + boxWidth / 2;
    const y0 = py + boxHeight;
    const x1 = cx + boxWidth / 2;
    const mid = (y0 + cy) / 2;
    ctx.moveTo(x0, y0);
    ctx.bezierCurveTo(x0, mid, x1, mid, x1, cy);
  } else {
    const x0 = px + boxWidth;
    const y0 = py + boxHeight / 2;
    const y1 = cy + childHeight / 2;
    const mid = (x0 + cx) / 2;
    ctx.moveTo(x0, y0);
    ctx.bezierCurveTo(mid, y0, mid, y1, cx, y1);
  }
}

function roundRect(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, r: number): void {
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, r);
}

/** Small vector icons per kind (no icon font: the canvas cannot use codicons, and fonts vary). */
function kindIcon(ctx: CanvasRenderingContext2D, kind: string, cx: number, cy: number, colour: string): void {
  ctx.fillStyle = colour;
  ctx.strokeStyle = colour;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  switch (kind) {
    case 'llm': // four-pointed sparkle
      ctx.moveTo(cx, cy - 7);
      ctx.quadraticCurveTo(cx + 1, cy - 1, cx + 7, cy);
      ctx.quadraticCurveTo(cx + 1, cy + 1, cx, cy + 7);
      ctx.quadraticCurveTo(cx - 1, cy + 1, cx - 7, cy);
      ctx.quadraticCurveTo(cx - 1, cy - 1, cx, cy - 7);
      ctx.fill();
      return;
    case 'tool': // wrench-like: a square with a notch
      ctx.rect(cx - 5, cy - 5, 10, 10);
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(cx - 2, cy - 5);
      ctx.lineTo(cx - 2, cy + 2);
      ctx.lineTo(cx + 5, cy + 2);
      ctx.stroke();
      return;
    case 'decision': // diamond
      ctx.moveTo(cx, cy - 7);
      ctx.lineTo(cx + 7, cy);
      ctx.lineTo(cx, cy + 7);
      ctx.lineTo(cx - 7, cy);
      ctx.closePath();
      ctx.fill();
      return;
    case 'message': // speech bubble
      ctx.roundRect(cx - 6, cy - 5, 12, 8, 2);
      ctx.moveTo(cx - 2, cy + 3);
      ctx.lineTo(cx - 4, cy + 7);
      ctx.lineTo(cx + 1, cy + 3);
      ctx.stroke();
      return;
    case 'artifact': // document with a folded corner
      ctx.moveTo(cx - 5, cy - 7);
      ctx.lineTo(cx + 2, cy - 7);
      ctx.lineTo(cx + 5, cy - 4);
      ctx.lineTo(cx + 5, cy + 7);
      ctx.lineTo(cx - 5, cy + 7);
      ctx.closePath();
      ctx.stroke();
      return;
    case 'log': // three lines
      for (const dy of [-4, 0, 4]) {
        ctx.moveTo(cx - 6, cy + dy);
        ctx.lineTo(cx + 6, cy + dy);
      }
      ctx.stroke();
      return;
    case 'error': // triangle
      ctx.moveTo(cx, cy - 7);
      ctx.lineTo(cx + 7, cy + 6);
      ctx.lineTo(cx - 7, cy + 6);
      ctx.closePath();
      ctx.fill();
      return;
    default: // step and unknown kinds: a ring
      ctx.arc(cx, cy, 5.5, 0, Math.PI * 2);
      ctx.stroke();
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
