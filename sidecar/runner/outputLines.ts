/** Longest line kept, in UTF-8 bytes; the rest is dropped and counted in a marker. */
export const maxLineBytes = 64 * 1024;

/**
 * Splits a byte stream (a workflow's stdout or stderr) into lines: on `\n`, a trailing `\r`
 * stripped, decoded as UTF-8 only once a line is complete (a character split across chunks stays
 * whole). A line longer than `maxBytes` keeps its first `maxBytes` (cut on a character boundary)
 * plus ` … [N more bytes]`, and never holds more than that in memory. `end()` emits a last line
 * that had no newline; a stream ending in `\n` adds no empty line.
 */
export class OutputLines {
  private parts: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxBytes = maxLineBytes,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let newline = chunk.indexOf(0x0a); newline >= 0; newline = chunk.indexOf(0x0a, start)) {
      this.keep(chunk.subarray(start, newline));
      this.emit();
      start = newline + 1;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
  }

  end(): void {
    if (this.kept > 0 || this.dropped > 0) this.emit();
  }

  private keep(bytes: Buffer): void {
    const room = this.maxBytes - this.kept;
    if (bytes.length <= room) {
      if (bytes.length > 0) this.parts.push(Buffer.from(bytes));
      this.kept += bytes.length;
      return;
    }
    if (room > 0) {
      this.parts.push(Buffer.from(bytes.subarray(0, room)));
      this.kept += room;
    }
    this.dropped += bytes.length - Math.max(room, 0);
  }

  private emit(): void {
    let bytes = Buffer.concat(this.parts, this.kept);
    let dropped = this.dropped;
    if (dropped > 0) {
      // Cut before a partial character so the kept text decodes cleanly.
      const end = characterBoundary(bytes);
      dropped += bytes.length - end;
      bytes = bytes.subarray(0, end);
    } else if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) {
      bytes = bytes.subarray(0, bytes.length - 1);
    }
    this.parts = [];
    this.kept = 0;
    this.dropped = 0;
    const text = bytes.toString('utf8');
    this.onLine(dropped > 0 ? `${text} … [${dropped.toLocaleString('en')} more bytes]` : text);
  }
}

/** The largest length ≤ bytes.length that does not end inside a UTF-8 sequence. */
function characterBoundary(bytes: Buffer): number {
  let end = bytes.length;
  let continuation = 0;
  while (end - continuation > 0 && ((bytes[end - continuation - 1] as number) & 0xc0) === 0x80 && continuation < 3) continuation++;
  const lead = end - continuation - 1;
  if (lead < 0) return end;
  const first = bytes[lead] as number;
  const length = first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc0 ? 2 : 1;
  if (length > continuation + 1) end = lead;
  return end;
}

/** A node name for a line: the first 200 characters without terminal colour codes, or "(empty line)". */
export function lineName(line: string, maxChars = 200): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC.
  const plain = line.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').trimEnd();
  if (plain.trim() === '') return '(empty line)';
  if (plain.length <= maxChars) return plain;
  let cut = plain.slice(0, maxChars - 1);
  // Do not split a surrogate pair.
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}
