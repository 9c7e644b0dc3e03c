/**
 * The REST client: bearer token, JSON bodies, the server's envelopes. A `{status: "error"}`
 * answer becomes a CliError carrying the server's code, message and field errors.
 */
import type { ErrorEnvelope } from "@outpost/shared";
import { CliError, EXIT } from "./exit-codes.js";
import type { Context } from "./config.js";

export type Page<T> = { details: T[]; next_cursor: string | null };
export type Query = Record<string, string | number | boolean | undefined>;

export class Api {
  constructor(readonly ctx: Context) {}

  url(path: string, query: Query = {}): string {
    const u = new URL(path, this.ctx.url.endsWith("/") ? this.ctx.url : this.ctx.url + "/");
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") u.searchParams.set(k, String(v));
    return u.toString();
  }

  async request<T>(method: string, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url(path, opts.query), {
        method,
        headers: { authorization: `Bearer ${this.ctx.token}`, accept: "application/json", ...(opts.body !== undefined ? { "content-type": "application/json" } : {}) },
        body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
      });
    } catch (err) {
      throw new CliError(`cannot reach ${this.ctx.url}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      throw new CliError(`${method} ${path}: ${res.status} with a body that is not JSON`);
    }
    if (!res.ok) throw apiError(res.status, body);
    return body as T;
  }

  async get<T>(path: string, query?: Query): Promise<T> {
    return (await this.request<{ details: T }>("GET", path, { query })).details;
  }
  async page<T>(path: string, query?: Query): Promise<Page<T>> {
    const r = await this.request<Page<T>>("GET", path, { query });
    return { details: r.details, next_cursor: r.next_cursor ?? null };
  }
  async post<T>(path: string, body: unknown = {}): Promise<T> {
    return (await this.request<{ details: T }>("POST", path, { body })).details;
  }
  async del<T>(path: string): Promise<T> {
    return (await this.request<{ details: T }>("DELETE", path)).details;
  }
}

export function apiError(status: number, body: unknown): CliError {
  const env = body as Partial<ErrorEnvelope> | null;
  const fields = (env?.errors ?? []).map((e) => `\n  ${e.path}: ${e.message}`).join("");
  const message = `${env?.code ?? `http_${status}`}: ${env?.message ?? `HTTP ${status}`}${fields}`;
  return new CliError(message, status === 401 || status === 403 ? EXIT.auth : EXIT.failed, status);
}

/** Reads the id in a path segment safely. */
export const seg = (s: string) => encodeURIComponent(s);
