/**
 * The chaos soak's FaultProxy never reorders bytes, as TCP never does (issue 17: with a timer per
 * chunk, a chunk written after a delay ended, or during a blackhole that began within a delay,
 * overtook earlier ones, and the server got an agent's `finished` before that attempt's last logs).
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { FaultProxy } from "./chaos/proxy.js";
import { until } from "./support/processes.js";

let server: Server;
let received = "";
let proxy: FaultProxy;

beforeAll(async () => {
  server = createServer((s: Socket) => s.on("data", (d) => (received += d.toString())));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  proxy = new FaultProxy((server.address() as { port: number }).port);
  await proxy.listen();
});
afterAll(async () => {
  await proxy.close();
  await new Promise<void>((r) => server.close(() => r()));
});

async function client(): Promise<Socket> {
  const c = createConnection({ host: "127.0.0.1", port: proxy.port });
  await new Promise<void>((r) => c.once("connect", () => r()));
  return c;
}
/** Long enough on loopback for a written chunk to reach the proxy as its own chunk. */
const tick = () => new Promise((r) => setTimeout(r, 100));

it("keeps the order when a delay ends while chunks are still held", async () => {
  received = "";
  const c = await client();
  const heal = proxy.delay(300);
  c.write("1");
  await tick();
  heal();
  c.write("2");
  await until("both chunks through", async () => received.length === 2);
  expect(received).toBe("12");
  c.destroy();
});

it("keeps the order when a blackhole begins within a delay, and delivers all on heal", async () => {
  received = "";
  const c = await client();
  const undelay = proxy.delay(200);
  c.write("a");
  await tick();
  const heal = proxy.blackhole();
  undelay();
  c.write("b");
  await new Promise((r) => setTimeout(r, 300)); // past the first chunk's delay, inside the blackhole
  expect(received).toBe("");
  heal();
  await until("both chunks through", async () => received.length === 2);
  expect(received).toBe("ab");
  c.destroy();
});
