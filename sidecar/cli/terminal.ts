/**
 * Terminal output for the CLI: ANSI colour that is on only where it is wanted, duration and
 * relative-time formats, tables, and a progress line that rewrites itself in place.
 */

export interface Colors {
  readonly enabled: boolean;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  grey(text: string): string;
  cyan(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

/**
 * Colour when forced (`--color`), never when refused (`--no-color`), otherwise only on a TTY with
 * NO_COLOR unset (https://no-color.org: any non-empty value turns colour off).
 */
export function wantsColor(
  stream: { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
  flag: boolean | undefined,
): boolean {
  if (flag !== undefined) return flag;
  return stream.isTTY === true && !env.NO_COLOR;
}

export function colors(enabled: boolean): Colors {
  const wrap = (open: number, close: number) => (text: string) => (enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text);
  return {
    enabled,
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    grey: wrap(90, 39),
    cyan: wrap(36, 39),
    bold: wrap(1, 22),
    dim: wrap(2, 22),
  };
}

const esc = String.fromCharCode(27);
// Built at run time: Biome reads an ESC in a regex literal as a mistake.
const ansiPattern = new RegExp(`${esc}\\[[0-9;]*m`, 'g');

/** Columns a string takes on screen: ANSI codes take none. */
export function visibleWidth(text: string): number {
  return [...text.replace(ansiPattern, '')].length;
}

/** `850ms`, `4.2s`, `3m 12s`, `2h 05m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const totalSeconds = Math.floor(ms / 1000);
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)}m ${String(totalSeconds % 60).padStart(2, '0')}s`;
  const totalMinutes = Math.floor(totalSeconds / 60);
  return `${Math.floor(totalMinutes / 60)}h ${String(totalMinutes % 60).padStart(2, '0')}m`;
}

/** `just now`, `42s ago`, `3m ago`, `5h ago`, `4d ago`, then the date. */
export function formatRelative(iso: string, now: number): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const seconds = Math.round((now - at) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  if (seconds < 30 * 86_400) return `${Math.floor(seconds / 86_400)}d ago`;
  return iso.slice(0, 10);
}

/** `1,234` tokens stay exact below ten thousand; `12.3k`, `4.5M` above. */
export function formatCount(n: number): string {
  if (n < 10_000) return n.toLocaleString('en-US');
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** Left-aligned columns separated by two spaces; widths ignore colour codes. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) => Math.max(visibleWidth(title), ...rows.map((row) => visibleWidth(row[column] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + ' '.repeat((widths[column] ?? 0) - visibleWidth(cell))))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/**
 * `--json` output: indented for a person at a terminal, one compact line for a pipe (jq does not
 * care, and a run 1,000 levels deep indented is tens of megabytes of spaces).
 */
export function formatJson(value: unknown, out: { isTTY?: boolean }): string {
  return `${JSON.stringify(value, null, out.isTTY ? 2 : undefined)}\n`;
}

export interface Output {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

const spinnerFrames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * One status line kept at the bottom of a TTY (`⠋ 12 nodes · 3 running · 4.2s`), redrawn on a
 * timer. Lines printed through `print` go above it. Off a TTY it draws nothing: piped output
 * stays plain lines without carriage returns.
 */
export class ProgressLine {
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private shown = false;

  constructor(
    private readonly out: Output,
    private readonly render: () => string,
    private readonly intervalMs = 100,
  ) {}

  get active(): boolean {
    return this.out.isTTY === true;
  }

  start(): void {
    if (!this.active || this.timer !== undefined) return;
    this.draw();
    this.timer = setInterval(() => this.draw(), this.intervalMs);
    // The stream being followed keeps the process alive, not the spinner.
    this.timer.unref();
  }

  /** Prints whole lines above the progress line. */
  print(text: string): void {
    this.erase();
    this.out.write(text.endsWith('\n') ? text : `${text}\n`);
    if (this.timer !== undefined) this.draw();
  }

  /**
   * On a TTY, replaces the line printed last (a node's start line by its end line) and returns
   * true; false when it cannot (no TTY, or the old line may have wrapped onto two rows).
   */
  replaceLast(previous: string, text: string): boolean {
    const columns = this.out.columns ?? 0;
    if (!this.active || visibleWidth(previous) >= columns) return false;
    this.erase();
    this.out.write(`\x1b[1A\r\x1b[2K${text}\n`);
    if (this.timer !== undefined) this.draw();
    return true;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.erase();
  }

  private draw(): void {
    const spinner = spinnerFrames[this.frame++ % spinnerFrames.length];
    this.out.write(`\r\x1b[2K${spinner} ${this.render()}`);
    this.shown = true;
  }

  private erase(): void {
    if (!this.shown) return;
    this.out.write('\r\x1b[2K');
    this.shown = false;
  }
}
