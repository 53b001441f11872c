import { z } from 'zod';
import { isTimeSpec } from './relativeTime';

const guid = z.guid();
const timeSpec = z.string().refine(isTimeSpec, {
  message: "expected a relative time like '-30m', '-2h', '-1d', '-45s' or an ISO date-time with a zone",
});
const regex = z.string().refine(
  (source) => {
    try {
      new RegExp(source);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

export const policyStateSchema = z.union([z.boolean(), z.enum(['absent', 'forbidden', 'error'])]);

const userSchema = z
  .object({
    id: guid,
    userPrincipalName: z.string().min(3),
    displayName: z.string().min(1),
    onPremisesSyncEnabled: z.boolean().nullable(),
    roles: z.array(guid).default([]),
    groups: z.array(guid).default([]),
    /**
     * PIM activations of a role the user is eligible for: active between from and to, then expired. Each
     * writes PIM's record and Core Directory's (initiated by MS-PIM) at its start and, once over, at its end.
     */
    activations: z.array(z.object({ role: guid, from: timeSpec, to: timeSpec }).strict()).default([]),
    /** Roles the user is eligible for in PIM (roleEligibilityScheduleInstances). */
    eligible: z.array(guid).default([]),
    /** userRegistrationDetails (absent: email and mobilePhone, registered and capable). */
    registration: z
      .object({
        methodsRegistered: z.array(z.string().min(1)),
        isSsprRegistered: z.boolean().optional(),
        isSsprCapable: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/**
 * A permanent (non-PIM) role assignment made or ended: a Core Directory "Add member to role" or "Remove
 * member from role" record. `roles` says what the user holds now; keep the two consistent.
 */
const roleChangeSchema = z
  .object({
    at: timeSpec,
    user: guid,
    role: guid,
    change: z.enum(['added', 'removed']),
  })
  .strict();

const groupSchema = z
  .object({
    id: guid,
    displayName: z.string().min(1),
    roles: z.array(guid).default([]),
  })
  .strict();

const eventSchema = z
  .object({
    id: guid.optional(),
    at: timeSpec,
    activity: z.string().min(1),
    result: z.enum(['success', 'failure', 'timeout']),
    resultReason: z.string(),
    target: guid.nullable(),
    // Omitted means the target started the flow themselves, the common SSPR case.
    initiator: z.union([guid, z.literal('anonymous'), z.null()]).optional(),
    service: z.string().min(1).default('Self-service Password Management'),
    late: z.boolean().default(false),
    // Events naming the same flow share one correlationId, as the steps of one reset do.
    flow: z.string().min(1).optional(),
  })
  .strict();

const policyChangeSchema = z
  .object({
    at: timeSpec,
    allowedToUseSSPR: z.boolean(),
    by: guid,
  })
  .strict();

const noiseSchema = z
  .object({
    count: z.number().int().min(0),
    from: timeSpec,
    to: timeSpec,
  })
  .strict();

const faultSchema = z
  .object({
    match: regex,
    kind: z.enum(['status', 'reset', 'malformed', 'slow', 'hold']),
    status: z.number().int().min(400).max(599).optional(),
    retryAfter: z.number().int().min(0).optional(),
    delayMs: z.number().int().min(0).optional(),
    times: z
      .number()
      .int()
      .refine((times) => times === -1 || times >= 1, {
        message: 'use -1 for forever or a count of at least 1',
      })
      .default(1),
    inBatch: z.boolean().default(false),
  })
  .strict()
  .refine((fault) => fault.kind !== 'status' || fault.status !== undefined, {
    message: "a fault of kind 'status' needs a status",
    path: ['status'],
  })
  .refine((fault) => fault.kind !== 'slow' || fault.delayMs !== undefined, {
    message: "a fault of kind 'slow' needs delayMs",
    path: ['delayMs'],
  });

export const scenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes'),
    description: z.string().min(1),
    tenantId: guid,
    policy: policyStateSchema,
    users: z.array(userSchema).default([]),
    groups: z.array(groupSchema).default([]),
    events: z.array(eventSchema).default([]),
    policyChanges: z.array(policyChangeSchema).default([]),
    roleChanges: z.array(roleChangeSchema).default([]),
    noise: noiseSchema.optional(),
    pageSize: z.number().int().min(1).max(1000).default(1000),
    throttle: z
      .object({ requestsPer10s: z.number().int().min(0) })
      .strict()
      .default({ requestsPer10s: 5 }),
    faults: z.array(faultSchema).default([]),
    /** The Automation account and how the emulated Enable-AdminSspr runbook behaves (Resource Manager fake). */
    automation: z
      .object({
        subscriptionId: guid.default('00000000-0000-4000-8000-00000000a001'),
        resourceGroup: z.string().min(1).default('rg-sspr'),
        account: z.string().min(1).default('aa-sspr'),
        runbook: z.string().min(1).default('Enable-AdminSspr'),
        /** fixes: switches the emulated policy on; fails: job Failed; completes-without-fix: Completed, policy unchanged. */
        outcome: z.enum(['fixes', 'fails', 'completes-without-fix']).default('fixes'),
        /** How long the job stays Running before it ends. */
        runForMs: z.number().int().min(0).default(1500),
      })
      .strict()
      .default({
        subscriptionId: '00000000-0000-4000-8000-00000000a001',
        resourceGroup: 'rg-sspr',
        account: 'aa-sspr',
        runbook: 'Enable-AdminSspr',
        outcome: 'fixes',
        runForMs: 1500,
      }),
  })
  .strict()
  .superRefine((scenario, ctx) => {
    const groupIds = new Set(scenario.groups.map((group) => group.id.toLowerCase()));
    scenario.users.forEach((user, index) => {
      user.groups.forEach((groupId, groupIndex) => {
        if (!groupIds.has(groupId.toLowerCase())) {
          ctx.addIssue({
            code: 'custom',
            message: `group ${groupId} is not declared in "groups"`,
            path: ['users', index, 'groups', groupIndex],
          });
        }
      });
    });
    const seen = new Set<string>();
    scenario.users.forEach((user, index) => {
      if (seen.has(user.id.toLowerCase())) {
        ctx.addIssue({
          code: 'custom',
          message: `duplicate user id ${user.id}`,
          path: ['users', index, 'id'],
        });
      }
      seen.add(user.id.toLowerCase());
    });
  });

/** What a scenario author writes (defaults may be omitted). */
export type Scenario = z.input<typeof scenarioSchema>;
/** A validated scenario with every default filled in. */
export type ValidScenario = z.output<typeof scenarioSchema>;
export type ScenarioUser = ValidScenario['users'][number];
export type ScenarioGroup = ValidScenario['groups'][number];
export type ScenarioEvent = ValidScenario['events'][number];
export type ScenarioFault = ValidScenario['faults'][number];
export type PolicyState = z.infer<typeof policyStateSchema>;
