/**
 * The one catalog of API errors. Every error body is the reference envelope
 * `{status: "error", code, message, errors?}`; 5xx bodies never carry internals.
 */
import type { ErrorItem } from "@outpost/shared";

export const ERRORS = {
  bad_request: { http: 400, message: "The request is malformed." },
  validation_errors: { http: 422, message: "The request has invalid fields." },
  unauthorized: { http: 401, message: "Missing, invalid, expired or revoked token." },
  forbidden: { http: 403, message: "This token lacks the scope for this action." },
  not_found: { http: 404, message: "Not found." },
  route_not_found: { http: 404, message: "No such route." },
  uri_too_long: { http: 414, message: "A path segment of the URL is too long." },
  request_timeout: { http: 408, message: "The request took too long to arrive." },
  headers_too_large: { http: 431, message: "The request headers are too large." },
  conflict: { http: 409, message: "The request conflicts with the current state." },
  payload_too_large: { http: 413, message: "The request body is too large." },
  unsupported_media_type: { http: 415, message: "Send JSON with content-type application/json." },
  rate_limited: { http: 429, message: "Too many requests; slow down." },
  storage_full: { http: 507, message: "The server's disk is full: nothing of this request was stored. Try again when space returns." },
  internal: { http: 500, message: "Internal server error." },
} as const;
export type ErrorCode = keyof typeof ERRORS;

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly errors?: ErrorItem[],
  ) {
    super(message ?? ERRORS[code].message);
  }

  get http(): number {
    return ERRORS[this.code].http;
  }

  static notFound(what: string, id: string): ApiError {
    return new ApiError("not_found", `${what} "${id}" was not found.`);
  }

  static validation(errors: ErrorItem[]): ApiError {
    const first = errors[0];
    return new ApiError("validation_errors", first ? `${first.path}: ${first.message}` : undefined, errors);
  }

  static conflict(message: string): ApiError {
    return new ApiError("conflict", message);
  }

  body() {
    return { status: "error" as const, code: this.code, message: this.message, ...(this.errors ? { errors: this.errors } : {}) };
  }
}

/** The same 401 body for every authentication failure, whatever the cause. */
export const UNAUTHORIZED = new ApiError("unauthorized");
