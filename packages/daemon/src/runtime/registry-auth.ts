/**
 * Private registry credentials, per registry, in Docker's config.json format (`--registry-auth
 * FILE`): `{"auths": {"registry.example:5000": {"auth": base64("user:password")}}}` or with
 * `username` / `password`. Read once at start; the credentials go only to dockerd with a pull of
 * an image from that registry and are never logged (the agent's logger censors `auth`).
 */
import { readFileSync } from "node:fs";
import { z } from "zod";

export type RegistryAuth = { username: string; password: string; serveraddress: string };

const Entry = z.object({ auth: z.string().optional(), username: z.string().optional(), password: z.string().optional() });
const DockerConfig = z.object({ auths: z.record(z.string(), Entry) });

/** The credentials of each registry in the file, keyed by host[:port]; throws a message naming the file's problem. */
export function readRegistryAuth(file: string): Map<string, RegistryAuth> {
  const parsed = DockerConfig.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) throw new Error(`${file}: not in Docker's config.json format ({"auths": {"HOST": {"auth": "..."}}}): ${parsed.error.issues[0]?.message}`);
  const out = new Map<string, RegistryAuth>();
  for (const [server, e] of Object.entries(parsed.data.auths)) {
    let username = e.username;
    let password = e.password;
    if (e.auth) {
      const text = Buffer.from(e.auth, "base64").toString("utf8");
      const i = text.indexOf(":");
      if (i < 0) throw new Error(`${file}: the "auth" of ${server} is not base64 of user:password`);
      username = text.slice(0, i);
      password = text.slice(i + 1);
    }
    if (username === undefined || password === undefined) throw new Error(`${file}: ${server} has neither "auth" nor "username" and "password"`);
    out.set(hostOf(server), { username, password, serveraddress: server });
  }
  return out;
}

/** The registry an image reference names: its first component when it looks like a host, else Docker Hub. */
export function registryOf(image: string): string {
  const first = image.split("/")[0]!;
  return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost") ? first : "docker.io";
}

function hostOf(server: string): string {
  const host = server.replace(/^https?:\/\//, "").split("/")[0]!;
  return host === "index.docker.io" || host === "registry-1.docker.io" ? "docker.io" : host;
}
