/** What the agent reports about its host, via systeminformation. */
import si from "systeminformation";
import type { HostOs } from "@outpost/shared";

export type HostFacts = { hostname: string; os: HostOs; cpu_count: number; memory_bytes: number };

export async function hostFacts(): Promise<HostFacts> {
  const [os, cpu, mem] = await Promise.all([si.osInfo(), si.cpu(), si.mem()]);
  return {
    hostname: os.hostname || os.fqdn || "localhost",
    os: { platform: os.platform, distro: os.distro, release: os.release, kernel: os.kernel, arch: os.arch },
    cpu_count: cpu.cores || cpu.physicalCores || 1,
    memory_bytes: mem.total,
  };
}
