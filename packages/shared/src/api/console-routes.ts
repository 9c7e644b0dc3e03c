/**
 * The console's own client-side routes (packages/console/src/app.tsx). outpost-server answers
 * index.html for these deep links only; any other unknown path is a 404 in the error envelope, so
 * a probe of `/metricz` or `/ready` never sees the console's 200.
 */
export const CONSOLE_ROUTES: readonly RegExp[] = [
  /^\/$/,
  /^\/overview\/?$/,
  /^\/agents(\/[^/]+){0,2}\/?$/,
  /^\/runs(\/[^/]+)?\/?$/,
  /^\/triggers(\/[^/]+)?\/?$/,
  /^\/shared\/reports\/[^/]+$/,
];

export function isConsoleRoute(path: string): boolean {
  return CONSOLE_ROUTES.some((r) => r.test(path));
}
