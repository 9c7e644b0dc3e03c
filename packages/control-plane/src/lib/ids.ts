import { randomFillSync } from "node:crypto";

const bytes = Buffer.alloc(16);
/** Random bytes drawn from the CSPRNG a page at a time: one call per 409 ids rather than one per id. */
const pool = Buffer.alloc(4096);
let used = pool.length;

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids made close in time sort
 * close together, so inserts land on the right edge of each id index instead of on random pages
 * (fewer pages written per commit; docs/performance.md).
 */
export function newId(): string {
  if (used + 10 > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  pool.copy(bytes, 6, used, used + 10);
  used += 10;
  bytes.writeUIntBE(Date.now(), 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const h = bytes.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
