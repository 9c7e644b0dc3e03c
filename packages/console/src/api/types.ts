/** API types, all derived from the zod contract in @outpost/shared so they cannot drift. */
import type {
  AgentModuleFunctions as AgentModuleFunctionsSchema,
  CreatedToken as CreatedTokenSchema,
  Me as MeSchema,
  ModuleHistoryEntry as ModuleHistoryEntrySchema,
  PoolOverview as PoolOverviewSchema,
  PoolUser as PoolUserSchema,
  JobReport as JobReportSchema,
  StatusHistoryEntry as StatusHistoryEntrySchema,
} from "@outpost/shared";

export type { Agent, AgentStatus, ContainerProfile, Job, JobStatus, JobStep, LogChunk, Pool, Token, TriggerSource } from "@outpost/shared";

/** The parsed (output) type of a zod schema, without depending on zod here. */
type Out<T extends { _zod: { output: unknown } }> = T["_zod"]["output"];

export type Me = Out<typeof MeSchema>;
export type CreatedToken = Out<typeof CreatedTokenSchema>;
export type StatusHistoryEntry = Out<typeof StatusHistoryEntrySchema>;
export type ModuleHistoryEntry = Out<typeof ModuleHistoryEntrySchema>;
export type AgentModuleFunctions = Out<typeof AgentModuleFunctionsSchema>;
export type PoolOverview = Out<typeof PoolOverviewSchema>;
export type PoolUser = Out<typeof PoolUserSchema>;
export type JobReport = Out<typeof JobReportSchema>;

export interface MembershipResult {
  added: string[];
  already: string[];
}
