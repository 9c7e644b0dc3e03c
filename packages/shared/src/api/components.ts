/**
 * The named schemas of the OpenAPI document (components/schemas), for client generators: each
 * schema here is emitted once under its id and referenced wherever a route uses it. A registry of
 * its own, not zod's global one, so naming a schema for the document changes nothing else.
 */
import { z } from "zod";
import { ErrorEnvelope, ErrorItem, Limits } from "./common.js";
import { Agent, AgentModuleFunctions, InstalledModule, ModuleHistoryEntry, StatusHistoryEntry, UpdateAgentBody, RegisterAgentBody } from "./agents.js";
import { ContainerProfile, CreateContainerProfileBody } from "./agent-profile.js";
import { CreateJobBody, Job, JobAttempt, JobError, JobReport, JobStep, LogChunk } from "./jobs.js";
import { CreateOrgBody, CreateUserBody, Me, Org, User } from "./orgs.js";
import { CreatePoolBody, Pool, PoolOverview, PoolUser } from "./pools.js";
import { ModuleFunction, ModuleVersion, PublishModuleBody } from "./modules.js";
import { CreateTokenBody, CreatedToken, Token } from "./tokens.js";
import { ModuleRequest, PoolModuleRequests } from "./agent-modules.js";
import { PoolUpgrade, UpgradePoolBody } from "./agent-upgrades.js";

export const API_COMPONENTS = z.registry<{ id?: string }>();

const NAMED: Record<string, z.ZodType> = {
  ErrorEnvelope,
  ErrorItem,
  Limits,
  Agent,
  AgentModuleFunctions,
  InstalledModule,
  StatusHistoryEntry,
  ModuleHistoryEntry,
  RegisterAgentBody,
  UpdateAgentBody,
  ContainerProfile,
  CreateContainerProfileBody,
  Job,
  JobAttempt,
  JobError,
  JobStep,
  JobReport,
  LogChunk,
  CreateJobBody,
  Org,
  User,
  Me,
  CreateOrgBody,
  CreateUserBody,
  Pool,
  PoolOverview,
  PoolUser,
  CreatePoolBody,
  ModuleFunction,
  ModuleVersion,
  PublishModuleBody,
  Token,
  CreatedToken,
  CreateTokenBody,
  ModuleRequest,
  PoolModuleRequests,
  PoolUpgrade,
  UpgradePoolBody,
};
for (const [id, schema] of Object.entries(NAMED)) API_COMPONENTS.add(schema, { id });

export const API_COMPONENT_IDS = Object.keys(NAMED);
