/**
 * The protobuf wire format, just enough of it for the fixed OTLP trace schema: a reader over one
 * message's bytes and a writer for the (tiny) export response. Hand-written instead of a protobuf
 * library: the schema is small and stable, and a generic decoder would pull in a dependency and a
 * copy of the .proto files for three messages.
 */

export const WireType = { varint: 0, fixed64: 1, bytes: 2, startGroup: 3, endGroup: 4, fixed32: 5 } as const;

/** Thrown for bytes that are not a well-formed protobuf message; the route answers 400. */
export class WireError extends Error {
  override name = 'WireError';
}

export interface Field {
  readonly number: number;
  readonly wireType: number;
}

export class ProtoReader {
  private pos: number;
  private readonly end: number;

  constructor(
    private readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The next field's tag; call only when not done. */
  tag(): Field {
    const key = this.varint();
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (number === 0) throw new WireError(`field number 0 at byte ${this.pos}`);
    return { number, wireType };
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireError('truncated varint');
      const byte = this.buf[this.pos++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new WireError('varint longer than 10 bytes');
  }

  /** A varint that must fit a JS number (lengths, enums, small counts). */
  smallVarint(): number {
    const value = this.varint();
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new WireError('varint too large');
    return Number(value);
  }

  fixed64(): bigint {
    this.need(8);
    const value = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return value;
  }

  double(): number {
    this.need(8);
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  /** A length-delimited field's bytes (a view, not a copy). */
  bytes(): Buffer {
    const length = this.smallVarint();
    this.need(length);
    const view = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return view;
  }

  string(): string {
    return this.bytes().toString('utf8');
  }

  /** A reader over an embedded message. */
  message(): ProtoReader {
    const length = this.smallVarint();
    this.need(length);
    const reader = new ProtoReader(this.buf, this.pos, this.pos + length);
    this.pos += length;
    return reader;
  }

  /**
   * Reads a message to its end into `into`: each field whose number `fields` knows is checked for
   * its wire type and handed to its reader; any other is skipped, as protobuf requires of unknown
   * fields. The tables are built once per message type (no closures per message on the hot path).
   */
  readFields<T>(fields: FieldReaders<T>, into: T): T {
    while (!this.done) {
      const field = this.tag();
      const known = fields[field.number];
      if (known === undefined) {
        this.skip(field.wireType);
        continue;
      }
      this.expect(field, known[0]);
      known[1](this, into);
    }
    return into;
  }

  /** Skips a field this decoder does not use (unknown fields are legal and must be ignored). */
  skip(wireType: number): void {
    switch (wireType) {
      case WireType.varint:
        this.varint();
        return;
      case WireType.fixed64:
        this.need(8);
        this.pos += 8;
        return;
      case WireType.bytes:
        this.bytes();
        return;
      case WireType.fixed32:
        this.need(4);
        this.pos += 4;
        return;
      default:
        // Groups are deprecated and never used by OTLP.
        throw new WireError(`unsupported wire type ${wireType}`);
    }
  }

  /** Asserts the wire type a known field must have. */
  expect(field: Field, wireType: number): void {
    if (field.wireType !== wireType) {
      throw new WireError(`field ${field.number} has wire type ${field.wireType}, expected ${wireType}`);
    }
  }

  private need(length: number): void {
    if (this.pos + length > this.end) throw new WireError('truncated message');
  }
}

/** Field number → its wire type and how to read it into the message being built (the reader is at its value). */
export type FieldReaders<T> = Readonly<Record<number, readonly [wireType: number, read: (reader: ProtoReader, into: T) => void]>>;

/** Appends fields to a growing byte list; enough for the export response. */
export class ProtoWriter {
  private readonly chunks: Buffer[] = [];

  varintField(number: number, value: bigint | number): this {
    this.chunks.push(encodeVarint(BigInt((number << 3) | WireType.varint)), encodeVarint(BigInt(value)));
    return this;
  }

  bytesField(number: number, value: Buffer): this {
    this.chunks.push(encodeVarint(BigInt((number << 3) | WireType.bytes)), encodeVarint(BigInt(value.length)), value);
    return this;
  }

  stringField(number: number, value: string): this {
    return this.bytesField(number, Buffer.from(value, 'utf8'));
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function encodeVarint(value: bigint): Buffer {
  const bytes: number[] = [];
  let rest = BigInt.asUintN(64, value);
  do {
    let byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0n);
  return Buffer.from(bytes);
}
