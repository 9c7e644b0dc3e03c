/**
 * A private dockerd for the chaos soak: its own socket, data root, exec root and pidfile, no bridge
 * and no iptables, and its own managed containerd (started by dockerd under its exec root). The
 * soak's agents reach it through DOCKER_HOST, so killing it (the `docker_restart` fault) touches
 * nothing of the shared dockerd other runs use. dockerd 20.10 on a restart stops the containers it
 * finds still running (SIGTERM, then SIGKILL after 10 s), as a real host's Docker restart does.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import Dockerode from "dockerode";
import { TEST_IMAGE } from "../support/docker.js";

const SCRIPT = new URL("../../../../scripts/test-image.sh", import.meta.url).pathname;

export class PrivateDockerd {
  readonly socket: string;
  readonly host: string;
  readonly docker: Dockerode;
  private child: ChildProcess | null = null;
  private readonly log: string[] = [];

  /** dir: a short path (a unix socket path is at most 107 bytes). */
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.socket = join(dir, "docker.sock");
    this.host = `unix://${this.socket}`;
    this.docker = new Dockerode({ socketPath: this.socket });
  }

  /**
   * Starts dockerd and waits until its API answers; imports the test image on the first start. On a
   * loaded host its managed containerd can miss dockerd's start timeout ("timeout waiting for
   * containerd to start"): dockerd exits, and is started again (up to 5 times).
   */
  async start(): Promise<void> {
    for (let i = 1; ; i++) {
      try {
        return await this.startOnce();
      } catch (err) {
        if (i >= 5 || !/did not come up \(exit/.test((err as Error).message)) throw err;
        this.killContainerd();
      }
    }
  }

  private killContainerd(): void {
    try {
      const pid = Number(readFileSync(join(this.dir, "exec", "containerd", "containerd.pid"), "utf8"));
      if (pid > 0) process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }

  private async startOnce(): Promise<void> {
    const d = this.dir;
    this.child = spawn(
      "dockerd",
      ["--host", this.host, "--data-root", join(d, "data"), "--exec-root", join(d, "exec"), "--pidfile", join(d, "docker.pid"), "--bridge=none", "--iptables=false", "--ip6tables=false", "--log-level", "warn"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const keep = (b: Buffer) => this.log.push(b.toString()) > 200 && this.log.shift();
    this.child.stdout!.on("data", keep);
    this.child.stderr!.on("data", keep);
    const child = this.child;
    const end = Date.now() + 180_000;
    while (!(await this.docker.ping().then(() => true, () => false))) {
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > end) {
        await new Promise((r) => setTimeout(r, 300)); // the rest of its output
        this.child = null;
        rmSync(join(d, "docker.pid"), { force: true });
        throw new Error(`the private dockerd did not come up (exit ${child.exitCode ?? child.signalCode}); it said:\n${this.output().slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!(await this.docker.getImage(TEST_IMAGE).inspect().then(() => true, () => false))) {
      await promisify(execFile)("bash", [SCRIPT], { env: { ...process.env, DOCKER_HOST: this.host, OUTPOST_TEST_IMAGE: TEST_IMAGE } });
    }
  }

  /** Ends dockerd with a signal and waits for it to exit (its containers keep running under their shims). */
  async kill(signal: NodeJS.Signals): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      c.kill(signal);
    });
    this.child = null;
    // A dockerd killed with -9 leaves its pidfile, and the next one refuses to start over it.
    rmSync(join(this.dir, "docker.pid"), { force: true });
  }

  get up(): boolean {
    return this.child !== null;
  }

  output(): string {
    return this.log.join("");
  }

  /** Removes every container, stops dockerd (and its containerd), unmounts and deletes the dir. */
  async destroy(): Promise<void> {
    if (this.up) {
      const all = await this.docker.listContainers({ all: true }).catch(() => []);
      await Promise.all(all.map((c) => this.docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
      await this.kill("SIGTERM");
    }
    // The managed containerd normally exits with dockerd; one left by a kill -9 is ended by its pidfile.
    this.killContainerd();
    // Shims of containers a killed dockerd never cleaned up outlive it: end those of this dir only.
    for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        if (cmd[0]?.endsWith("containerd-shim-runc-v2") && cmd[cmd.indexOf("-address") + 1]?.startsWith(`${this.dir}/`)) process.kill(Number(pid), "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    const mounts = readFileSync("/proc/self/mounts", "utf8")
      .split("\n")
      .map((l) => l.split(" ")[1])
      .filter((m): m is string => !!m && m.startsWith(`${this.dir}/`));
    for (const m of mounts.reverse()) await promisify(execFile)("umount", ["--lazy", m]).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
