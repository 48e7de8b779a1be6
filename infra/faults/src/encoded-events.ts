import type { SegmentEvent } from '@telltale/traffic-generator';

// Request bodies for the load driver built from events encoded once: a batch is a copy of a run of pre-encoded
// events with a few fixed-width slots rewritten in place (messageId, visitor, timestamp, sentAt). Building JSON per
// request was most of the driver's own CPU, on the same cores as the pipeline it measures.
//
// TRICKY: a slot is wider than most values written into it; what is left is filled with spaces, which JSON allows
// between tokens (`"run-17"   ,`). That keeps every offset fixed whatever the length of the value.

const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
/** `YYYY-MM-DDTHH:MM:SS.sssZ`: every date from year 0 to 9999. */
const ISO_LENGTH = 24;
/** Digits of a messageId's sequence number, and its closing quote. */
const SEQUENCE_SLOT = 16;
/** A uuid in quotes. Markers write a shorter visitor id there. */
const VISITOR_SLOT = 38;
/** The last 8 hex digits of a visitor's uuid are the replay number: a replayed session is a new visitor. */
const REPLAY_DIGITS = 8;

const HEAD = Buffer.from('{"batch":[', 'latin1');
const SENT_AT = Buffer.from(`],"sentAt":"${'0'.repeat(ISO_LENGTH)}"}`, 'latin1');
const SENT_AT_OFFSET = '],"sentAt":"'.length;

/** One request body ready to post, and which messageIds it carries (`<idPrefix><firstSequence + i>`). */
export class EncodedBatch {
  constructor(
    /** The whole request body; stampSentAt rewrites its sentAt in place, so a retry posts the same bytes but that. */
    readonly body: Buffer,
    readonly count: number,
    private readonly idPrefix: string,
    private readonly firstSequence: number,
    /** Per event, the offset in `body` of its visitor slot (the anonymousId's opening quote) and of its timestamp. */
    private readonly visitorAt: Int32Array,
    private readonly timestampAt: Int32Array,
  ) {}

  messageId(i: number): string {
    if (i < 0 || i >= this.count) throw new RangeError(`event ${i} of a batch of ${this.count}`);
    return `${this.idPrefix}${this.firstSequence + i}`;
  }

  messageIds(): string[] {
    const ids = new Array<string>(this.count);
    for (let i = 0; i < this.count; i++) ids[i] = `${this.idPrefix}${this.firstSequence + i}`;
    return ids;
  }

  /** sentAt is each attempt's time: the enricher corrects device clock skew with receivedAt - sentAt. */
  stampSentAt(atMs: number): void {
    this.body.write(new Date(atMs).toISOString(), this.body.length - SENT_AT.length + SENT_AT_OFFSET, ISO_LENGTH, 'latin1');
  }

  /** Event i as another visitor's (a latency marker's), timestamped `atMs`. The id must fit a uuid's width. */
  setVisitor(i: number, anonymousId: string, atMs: number): void {
    const token = Buffer.from(JSON.stringify(anonymousId), 'utf8');
    if (token.length > VISITOR_SLOT) throw new Error(`visitor id ${JSON.stringify(anonymousId)} is longer than a uuid`);
    const at = this.visitorAt[i]!;
    token.copy(this.body, at);
    this.body.fill(SPACE, at + token.length, at + VISITOR_SLOT);
    this.body.write(new Date(atMs).toISOString(), this.timestampAt[i]!, ISO_LENGTH, 'latin1');
  }
}

/**
 * A fixed set of whole sessions, encoded once, handed out in order and round again: round r is the same sessions by
 * new visitors (r in the last 8 hex digits of each anonymousId), under new messageIds, with timestamps shifted so
 * that each session ends at the moment its last event is sent.
 */
export class EncodedSessions {
  /** Every event's JSON, comma-separated: a run of events is one copy. */
  private readonly bytes: Buffer;
  /** Per event: where its JSON starts and ends in `bytes`, and where its slots are relative to its start. */
  private readonly start: Int32Array;
  private readonly end: Int32Array;
  private readonly sequenceAt: Int32Array;
  private readonly visitorAt: Int32Array;
  private readonly timestampAt: Int32Array;
  /** How long before the end of its session each event happened, ms. */
  private readonly beforeEndMs: Float64Array;
  private next = 0;
  private round = 0;
  private readonly roundHex = Buffer.alloc(REPLAY_DIGITS, '0'.charCodeAt(0));

  /**
   * @param sessions whole sessions, each in order; every event of a session has the same anonymousId (a uuid) and no
   * userId (a replay makes a new visitor, but a userId would join them all into one person).
   */
  constructor(
    sessions: SegmentEvent[][],
    private readonly idPrefix: string,
  ) {
    const events = sessions.flat();
    if (events.length === 0) throw new Error('no events to encode');
    const quotedPrefix = JSON.stringify(idPrefix).slice(0, -1); // `"<prefix>`, its closing quote is the slot's
    const parts: Buffer[] = [];
    this.start = new Int32Array(events.length);
    this.end = new Int32Array(events.length);
    this.sequenceAt = new Int32Array(events.length);
    this.visitorAt = new Int32Array(events.length);
    this.timestampAt = new Int32Array(events.length);
    this.beforeEndMs = new Float64Array(events.length);
    let offset = 0;
    let i = 0;
    for (const session of sessions) {
      const endMs = Date.parse(session[session.length - 1]!.timestamp);
      for (const event of session) {
        const { messageId: _id, anonymousId, timestamp, userId, ...rest } = event;
        if (userId !== undefined && userId !== null) throw new Error('a session to replay must not carry a userId');
        if (!/^[0-9a-f-]{36}$/.test(anonymousId)) throw new Error(`anonymousId ${JSON.stringify(anonymousId)} is not a uuid`);
        const head = `{"messageId":${quotedPrefix}`;
        const visitor = `,"anonymousId":`;
        const time = `,"timestamp":"`;
        const restJson = JSON.stringify(rest);
        const text = `${head}${' '.repeat(SEQUENCE_SLOT)}${visitor}"${anonymousId}"${time}${'0'.repeat(ISO_LENGTH)}"${restJson === '{}' ? '}' : `,${restJson.slice(1)}`}`;
        const json = Buffer.from(text, 'utf8');
        if (i > 0) {
          parts.push(Buffer.from([COMMA]));
          offset += 1;
        }
        this.start[i] = offset;
        this.end[i] = offset + json.length;
        this.sequenceAt[i] = Buffer.byteLength(head, 'utf8');
        this.visitorAt[i] = this.sequenceAt[i]! + SEQUENCE_SLOT + visitor.length;
        this.timestampAt[i] = this.visitorAt[i]! + VISITOR_SLOT + time.length;
        this.beforeEndMs[i] = endMs - Date.parse(timestamp);
        parts.push(json);
        offset += json.length;
        i += 1;
      }
    }
    this.bytes = Buffer.concat(parts, offset);
  }

  get size(): number {
    return this.start.length;
  }

  /** The next `count` events as one request body, their messageIds `<idPrefix><firstSequence + i>`. */
  take(count: number, firstSequence: number, nowMs: number = Date.now()): EncodedBatch {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
    // Pass 1: the body's length and the runs of events that are contiguous in `bytes`.
    let length = HEAD.length + SENT_AT.length + count - 1;
    for (let k = 0, j = this.next; k < count; k++, j = j + 1 === this.size ? 0 : j + 1) length += this.end[j]! - this.start[j]!;
    const body = Buffer.allocUnsafe(length);
    const visitorAt = new Int32Array(count);
    const timestampAt = new Int32Array(count);
    HEAD.copy(body, 0);
    let at = HEAD.length;
    let k = 0;
    while (k < count) {
      const first = this.next;
      const n = Math.min(count - k, this.size - first);
      // One copy for the run, commas included; the slots are rewritten below.
      at += this.bytes.copy(body, at, this.start[first]!, this.end[first + n - 1]!);
      const eventAt = at - (this.end[first + n - 1]! - this.start[first]!);
      for (let j = first; j < first + n; j++, k++) {
        const base = eventAt + (this.start[j]! - this.start[first]!);
        writeSequence(body, base + this.sequenceAt[j]!, firstSequence + k);
        visitorAt[k] = base + this.visitorAt[j]!;
        this.roundHex.copy(body, visitorAt[k]! + 1 + 36 - REPLAY_DIGITS);
        timestampAt[k] = base + this.timestampAt[j]!;
        body.write(new Date(nowMs - this.beforeEndMs[j]!).toISOString(), timestampAt[k]!, ISO_LENGTH, 'latin1');
      }
      this.next = first + n;
      if (this.next === this.size) {
        this.next = 0;
        this.round += 1;
        this.roundHex.write(this.round.toString(16).padStart(REPLAY_DIGITS, '0').slice(-REPLAY_DIGITS), 'latin1');
      }
      if (k < count) body[at++] = COMMA;
    }
    SENT_AT.copy(body, at);
    const batch = new EncodedBatch(body, count, this.idPrefix, firstSequence, visitorAt, timestampAt);
    batch.stampSentAt(nowMs);
    return batch;
  }
}

/** `n` in decimal, then the closing quote; the rest of the slot keeps the template's spaces. No string per event. */
function writeSequence(buf: Buffer, at: number, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`sequence ${n}`);
  let digits = 1;
  for (let v = n; v >= 10; v = Math.floor(v / 10)) digits += 1;
  if (digits >= SEQUENCE_SLOT) throw new RangeError(`sequence ${n} does not fit its slot`);
  for (let p = at + digits - 1, v = n; p >= at; p--, v = Math.floor(v / 10)) buf[p] = 0x30 + (v % 10);
  buf[at + digits] = QUOTE;
}
