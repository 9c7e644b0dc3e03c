/**
 * The success envelope every route answers with: `{status: "success", details}`, and whatever a
 * route adds beside `details` (a list's `next_cursor`, a new agent's `credential`). Errors have
 * their own envelope, written once in plugins/error-handler.ts.
 */
export function successBody<T>(details: T): { status: "success"; details: T };
export function successBody<T, E extends object>(details: T, extra: E): { status: "success"; details: T } & E;
export function successBody<T>(details: T, extra?: object) {
  return { status: "success" as const, details, ...extra };
}
