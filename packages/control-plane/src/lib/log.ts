/**
 * The server's logger. Secrets never reach a log line: the request serializer writes the URL with
 * `?token=` (and any other secret-shaped value: a PAT, an agent credential, a share link) replaced,
 * every message string goes through the same redaction (fastify's "Route ... not found" line is a
 * plain string with the raw URL), and authorization / cookie headers and token-named fields are
 * censored by pino's redact paths.
 *
 * Every request is logged once at info when answered ("request": request id, method, redacted
 * URL, route, status, duration; plugins/request-log.ts); Fastify's own "incoming request" /
 * "request completed" pair is on only at debug or trace, with the same serializers.
 * `format: "pretty"` writes the same records through pino-pretty, one readable line each.
 */
import pino, { type Logger } from "pino";
import pinoPretty from "pino-pretty";
import { LogController } from "fastify";
import type { ServerConfig } from "../config.js";

export const REDACTED = "[REDACTED]";

/** Query parameters that carry a secret (EventSource can only pass the token as ?token=). */
const SECRET_PARAMS = /([?&;](?:token|access_token|credential)=)[^&#;\s]*/gi;
/** opat_, oagt_, oshr_: prefix + 32 random + 6 checksum characters (lib/secrets.ts). */
const SECRET_SHAPES = /\bo(?:pat|agt|shr)_[0-9A-Za-z]{20,}/g;

/** Text with every secret in it replaced by [REDACTED]. */
export function redactSecrets(text: string): string {
  return text.replace(SECRET_PARAMS, `$1${REDACTED}`).replace(SECRET_SHAPES, REDACTED);
}

type ReqLike = { method?: string; url?: string; host?: string; hostname?: string; ip?: string; socket?: { remotePort?: number } };

const serializers = {
  req: (req: ReqLike) => ({
    method: req.method,
    url: req.url === undefined ? undefined : redactSecrets(req.url),
    host: req.host ?? req.hostname,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  }),
};

export function createLogger(level: ServerConfig["logLevel"], destination?: pino.DestinationStream, format: ServerConfig["logFormat"] = "json"): Logger {
  if (format === "pretty") destination = prettyStream(destination);
  return pino(
    {
      level,
      serializers,
      redact: { paths: ["req.headers.authorization", "req.headers.cookie", "headers.authorization", "*.token", "*.credential", "token", "credential"], censor: REDACTED },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === "string" ? redactSecrets(a) : a)) as Parameters<typeof method>,
          );
        },
      },
    },
    destination,
  );
}

/** pino-pretty writing synchronously to `destination` (default stdout): the records, redacted as ever, made readable. */
export function prettyStream(destination?: pino.DestinationStream): pino.DestinationStream {
  return pinoPretty({ sync: true, colorize: false, translateTime: "UTC:yyyy-mm-dd'T'HH:MM:ss.l'Z'", ignore: "pid,hostname", ...(destination ? { destination } : {}) });
}

/** Fastify's request logs: only at debug or trace; the route-not-found line redacted like the rest. */
export function requestLogController(log: Logger): LogController {
  return new LogController({ disableRequestLogging: () => !log.isLevelEnabled("debug") });
}
