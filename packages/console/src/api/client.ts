/**
 * The one way the console talks to outpost-server: every call carries the session token, every
 * answer is unwrapped from the {status, details} envelope, and every failure becomes an ApiError
 * with the server's code and message. A 401 signs the session out (see auth/session-context).
 */
export interface ErrorItem {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    message: string,
    readonly errors: ErrorItem[] = [],
  ) {
    super(message);
  }

  /** One line for a toast or an inline error: the message, then the first field problems. */
  describe(): string {
    if (this.errors.length === 0) return this.message;
    return `${this.message} ${this.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`;
  }
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

type Query = Record<string, string | number | boolean | null | undefined>;

let unauthorizedListener: (() => void) | null = null;

/** Called once by the session provider: a 401 anywhere ends the session. */
export function onUnauthorized(listener: (() => void) | null): void {
  unauthorizedListener = listener;
}

export function buildQuery(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export async function rawRequest(token: string, method: string, path: string, body?: unknown): Promise<Response> {
  // x-outpost-client: jobs this tab starts are `manual`, not `api` (docs/api.md, "Run provenance").
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "application/json", "x-outpost-client": "console" };
  if (body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, "network", "Cannot reach the Outpost server. Check your connection and try again.");
  }
  if (res.ok) return res;
  let code = "http_error";
  let message = `The server answered ${res.status}.`;
  let errors: ErrorItem[] = [];
  try {
    const json = (await res.json()) as { code?: string; message?: string; errors?: ErrorItem[] };
    code = json.code ?? code;
    message = json.message ?? message;
    errors = json.errors ?? [];
  } catch {
    // Not the JSON envelope (a proxy error page, say): keep the generic message.
  }
  if (res.status === 401) unauthorizedListener?.();
  throw new ApiError(res.status, code, message, errors);
}

export class Api {
  constructor(readonly token: string) {}

  async get<T>(path: string, query?: Query): Promise<T> {
    const res = await rawRequest(this.token, "GET", path + buildQuery(query));
    return ((await res.json()) as { details: T }).details;
  }

  async list<T>(path: string, query?: Query): Promise<Page<T>> {
    const res = await rawRequest(this.token, "GET", path + buildQuery(query));
    const json = (await res.json()) as { details: T[]; next_cursor: string | null };
    return { items: json.details, nextCursor: json.next_cursor };
  }

  async send<T>(method: "POST" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<T> {
    const res = await rawRequest(this.token, method, path, body);
    return ((await res.json()) as { details: T }).details;
  }

  /** Fetches a file with the session's credentials and hands it to the browser as a download. */
  async download(path: string, fallbackName: string): Promise<string> {
    const res = await rawRequest(this.token, "GET", path);
    const disposition = res.headers.get("content-disposition") ?? "";
    const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName;
    const url = URL.createObjectURL(await res.blob());
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    return name;
  }
}

/** Fetches /me with a candidate token, without the session-wide 401 handling. */
export async function fetchMe<T>(token: string): Promise<T> {
  const res = await fetch("/api/v1/me", { headers: { authorization: `Bearer ${token}`, accept: "application/json" } }).catch(() => null);
  if (!res) throw new ApiError(0, "network", "Cannot reach the Outpost server. Check your connection and try again.");
  const json = (await res.json().catch(() => ({}))) as { details?: T; code?: string; message?: string };
  if (!res.ok || !json.details) throw new ApiError(res.status, json.code ?? "http_error", json.message ?? `The server answered ${res.status}.`);
  return json.details;
}

/** True for the server's 404: the thing asked about no longer exists (or never did). */
export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.httpStatus === 404;
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.describe();
  return err instanceof Error ? err.message : String(err);
}
