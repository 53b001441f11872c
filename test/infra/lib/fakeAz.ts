import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A stand-in for the Azure CLI at the process boundary: an `az` executable on PATH that answers the
 * few `az cloud show` / `az rest` calls the hook scripts make, from a JSON state file, and records
 * every call. Microsoft Graph (service principals, app role assignments) and Resource Manager
 * (runbook draft, publish, content) behave as their REST APIs document, simplified.
 */
export interface FakeAzState {
  graph: string;
  graphSp: { id: string; appRoles: Array<{ id: string; value: string; allowedMemberTypes: string[] }> };
  assignments: Record<string, Array<{ id: string; appRoleId: string; resourceId: string }>>;
  /** Every write to Graph answers 403 Authorization_RequestDenied. */
  forbidWrites?: boolean;
  runbook: { draft?: string; published?: string; draftNeverUpdates?: boolean };
  calls: string[][];
  nextId: number;
}

const FAKE_AZ = String.raw`#!/usr/bin/env node
const fs = require('fs');
const file = process.env.FAKE_AZ_STATE;
const state = JSON.parse(fs.readFileSync(file, 'utf8'));
const args = process.argv.slice(2);
state.calls.push(args);
const opt = (name) => { const i = args.indexOf(name); return i === -1 ? undefined : args[i + 1]; };
const done = (code, out, err) => {
  fs.writeFileSync(file, JSON.stringify(state, null, 2));
  if (out !== undefined) process.stdout.write(typeof out === 'string' ? out : JSON.stringify(out));
  if (err) process.stderr.write(err + '\n');
  process.exit(code);
};
if (args[0] === 'cloud' && args[1] === 'show') done(0, state.graph + '/\n');
if (args[0] !== 'rest') done(2, undefined, 'fake az: unsupported command ' + args.join(' '));
const method = (opt('--method') || 'get').toLowerCase();
const url = opt('--url') || '';
const body = opt('--body');
const payload = body === undefined ? undefined : body.startsWith('@') ? fs.readFileSync(body.slice(1), 'utf8') : body;
const denied = () => done(1, undefined, "ERROR: Forbidden({\"error\":{\"code\":\"Authorization_RequestDenied\",\"message\":\"Insufficient privileges to complete the operation.\"}})");

if (url.startsWith(state.graph + '/v1.0/')) {
  const route = url.slice(state.graph.length + '/v1.0/'.length);
  let m;
  if (method === 'get' && (m = /^servicePrincipals\(appId='([^']+)'\)/.exec(route))) {
    if (m[1] !== '00000003-0000-0000-c000-000000000000') done(1, undefined, 'ERROR: Not Found');
    done(0, state.graphSp);
  }
  if ((m = /^servicePrincipals\/([^/?]+)\/appRoleAssignments(?:\/([^/?]+))?/.exec(route))) {
    const principal = m[1];
    const list = (state.assignments[principal] = state.assignments[principal] || []);
    if (method === 'get') done(0, { value: list });
    if (state.forbidWrites) denied();
    if (method === 'post') {
      const request = JSON.parse(payload);
      if (request.principalId !== principal) done(1, undefined, 'ERROR: Bad Request: principalId must be the URL principal');
      if (!state.graphSp.appRoles.some((r) => r.id === request.appRoleId) || request.resourceId !== state.graphSp.id) done(1, undefined, 'ERROR: Bad Request: unknown app role');
      if (list.some((a) => a.appRoleId === request.appRoleId && a.resourceId === request.resourceId)) done(1, undefined, 'ERROR: Bad Request: Permission being assigned already exists on the object');
      const assignment = { id: 'assignment-' + state.nextId++, appRoleId: request.appRoleId, resourceId: request.resourceId, principalId: principal };
      list.push(assignment);
      done(0, assignment);
    }
    if (method === 'delete') {
      const index = list.findIndex((a) => a.id === m[2]);
      if (index === -1) done(1, undefined, 'ERROR: Not Found');
      list.splice(index, 1);
      done(0, '');
    }
  }
  done(1, undefined, 'fake az: unknown Graph call ' + method + ' ' + url);
}

if (url.startsWith('/subscriptions/')) {
  const [resource] = url.split('?');
  if (!/[?&]api-version=/.test(url)) done(1, undefined, 'ERROR: MissingApiVersionParameter');
  if (!/\/providers\/Microsoft\.Automation\/automationAccounts\/[^/]+\/runbooks\/[^/]+\//.test(resource)) done(1, undefined, 'fake az: unknown ARM call ' + url);
  if (method === 'get' && resource.endsWith('/draft/content')) {
    return state.runbook.draft === undefined ? done(1, undefined, 'ERROR: (NotFound)') : done(0, state.runbook.draft);
  }
  if (method === 'get' && resource.endsWith('/content')) {
    return state.runbook.published === undefined ? done(1, undefined, 'ERROR: (NotFound) The runbook has no published content') : done(0, state.runbook.published);
  }
  if (method === 'put' && resource.endsWith('/draft/content')) {
    if (!state.runbook.draftNeverUpdates) state.runbook.draft = payload;
    done(0, '');
  }
  if (method === 'post' && resource.endsWith('/publish')) {
    state.runbook.published = state.runbook.draft;
    done(0, '');
  }
  done(1, undefined, 'fake az: unknown ARM call ' + method + ' ' + url);
}
done(1, undefined, 'fake az: unknown URL ' + url);
`;

export const GRAPH = 'https://graph.example.test';
export const PERMISSION_IDS: Record<string, string> = {
  'AuditLog.Read.All': 'b0afded3-3588-46d8-8b3d-9842eff778da',
  'Policy.Read.All': '246dd0d5-5bd0-4def-940b-0421030a5b68',
  'User.Read.All': 'df021288-bdef-4463-88db-98f22de89214',
  'RoleManagement.Read.Directory': '483bed4a-2ad3-4361-a73b-c83ccdbdc53c',
  'Policy.ReadWrite.Authorization': 'fb221be6-99f2-473f-bd32-01c6a0e9ca3b',
};

export function initialState(overrides: Partial<FakeAzState> = {}): FakeAzState {
  return {
    graph: GRAPH,
    graphSp: {
      id: 'graph-sp-object-id',
      appRoles: [
        ...Object.entries(PERMISSION_IDS).map(([value, id]) => ({
          id,
          value,
          allowedMemberTypes: ['Application'],
        })),
        {
          id: '00000000-0000-0000-0000-0000000000d1',
          value: 'Directory.Read.All',
          allowedMemberTypes: ['Application'],
        },
      ],
    },
    assignments: {},
    runbook: {},
    calls: [],
    nextId: 1,
    ...overrides,
  };
}

export interface ScriptRun {
  status: number | null;
  stdout: string;
  stderr: string;
  state: FakeAzState;
}

/** Runs a hook script with the fake `az` first on PATH, in a temporary folder holding the state. */
export function runWithFakeAz(script: string, env: Record<string, string>, state: FakeAzState): ScriptRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-az-'));
  try {
    const az = path.join(dir, 'az');
    fs.writeFileSync(az, FAKE_AZ, { mode: 0o755 });
    const stateFile = path.join(dir, 'state.json');
    fs.writeFileSync(stateFile, JSON.stringify(state));
    const result = spawnSync('bash', [script], {
      env: {
        PATH: `${dir}${path.delimiter}${process.env.PATH}`,
        HOME: dir,
        FAKE_AZ_STATE: stateFile,
        ...env,
      },
      encoding: 'utf8',
      // Only a guard against a hung script: each run starts a dozen Node processes (az and the JSON helpers).
      timeout: 300_000,
    });
    return {
      status: result.status,
      stdout: result.stdout,
      stderr: result.stderr + (result.error ? String(result.error) : ''),
      state: JSON.parse(fs.readFileSync(stateFile, 'utf8')) as FakeAzState,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
