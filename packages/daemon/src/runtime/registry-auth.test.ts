/** --registry-auth: Docker's config.json format, per registry host; bad files name the problem. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { readRegistryAuth, registryOf } from "./registry-auth.js";

const file = (json: unknown) => {
  const p = join(mkdtempSync(join(tmpdir(), "outpost-auth-")), "config.json");
  writeFileSync(p, JSON.stringify(json));
  return p;
};

it("reads auth (base64 user:password) or username/password per registry, and picks the registry of an image", () => {
  const auths = readRegistryAuth(
    file({ auths: { "registry.example:5000": { auth: Buffer.from("ci:s3:cret").toString("base64") }, "https://index.docker.io/v1/": { username: "hub", password: "pw" } } }),
  );
  expect(auths.get("registry.example:5000")).toEqual({ username: "ci", password: "s3:cret", serveraddress: "registry.example:5000" });
  expect(auths.get("docker.io")).toMatchObject({ username: "hub", password: "pw" });
  expect(registryOf("registry.example:5000/team/app:1")).toBe("registry.example:5000");
  expect(registryOf("localhost/app")).toBe("localhost");
  expect(registryOf("library/busybox:1")).toBe("docker.io");
  expect(registryOf("busybox")).toBe("docker.io");
  expect(() => readRegistryAuth(file({ registries: {} }))).toThrow(/Docker's config.json format/);
  expect(() => readRegistryAuth(file({ auths: { r: { auth: Buffer.from("nocolon").toString("base64") } } }))).toThrow(/not base64 of user:password/);
});
