/**
 * Secret formats. A PAT is `opat_` + 32 random base62 characters + a 6-character base62 CRC32 of
 * them (GitHub's scheme): a typo or a made-up token is refused by its checksum before any database
 * lookup. Agent credentials (`oagt_`) and share links (`oshr_`) use the same shape. Only an
 * HMAC-SHA256 digest keyed by the install's secret is stored.
 */
import { createHmac, randomBytes } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export const SECRET_KINDS = { pat: "opat_", agent: "oagt_", share: "oshr_" } as const;
export type SecretKind = keyof typeof SECRET_KINDS;
const RANDOM_LEN = 32;
const CHECK_LEN = 6;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, "utf8")) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function base62(n: number, width: number): string {
  let out = "";
  for (let i = 0; i < width; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

function randomBase62(len: number): string {
  // Rejection sampling keeps the characters uniform.
  let out = "";
  while (out.length < len) {
    for (const b of randomBytes(len * 2)) {
      if (b < 248 && out.length < len) out += BASE62[b % 62];
    }
  }
  return out;
}

export function generateSecret(kind: SecretKind): string {
  const body = randomBase62(RANDOM_LEN);
  return `${SECRET_KINDS[kind]}${body}${base62(crc32(body), CHECK_LEN)}`;
}

/** Format and checksum only: true means "worth a database lookup". */
export function isWellFormedSecret(kind: SecretKind, value: string): boolean {
  const prefix = SECRET_KINDS[kind];
  if (!value.startsWith(prefix)) return false;
  const rest = value.slice(prefix.length);
  if (rest.length < 30 + CHECK_LEN || rest.length > 200 || !/^[0-9A-Za-z]+$/.test(rest)) return false;
  const body = rest.slice(0, -CHECK_LEN);
  return rest.slice(-CHECK_LEN) === base62(crc32(body), CHECK_LEN);
}

export function secretKindOf(value: string): SecretKind | null {
  for (const [kind, prefix] of Object.entries(SECRET_KINDS)) {
    if (value.startsWith(prefix)) return kind as SecretKind;
  }
  return null;
}

export function digestSecret(installSecret: string, value: string): string {
  return createHmac("sha256", installSecret).update(value).digest("hex");
}

export function displayPrefix(value: string): string {
  return value.slice(0, 9);
}
