/** Shared state of the ticket-system fakes: what was filed, and the request log. Extended by each fake. */
export interface TicketFakeRequest {
  system: string;
  method: string;
  path: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** A scripted failure: the next `remaining` requests to a system answer `status`. */
export interface TicketFakeFailure {
  status: number;
  remaining: number;
  retryAfterSeconds?: number;
  /** With a 3xx: where the redirect points. */
  location?: string;
}

/** An Azure DevOps work item as the fake keeps it; `fields` holds reference names such as System.Title. */
export interface AdoWorkItem {
  id: number;
  rev: number;
  project: string;
  fields: Record<string, unknown>;
  comments: AdoComment[];
}

export interface AdoComment {
  id: number;
  text: string;
  createdDate: string;
}

/** A GitHub issue as the fake keeps it (one list for every owner/repo). */
export interface GithubIssue {
  id: number;
  owner: string;
  repo: string;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  stateReason: string | null;
  labels: string[];
  comments: GithubComment[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface GithubComment {
  id: number;
  body: string;
  createdAt: string;
}

export class TicketFakeState {
  readonly requests: TicketFakeRequest[] = [];
  readonly failures = new Map<string, TicketFakeFailure>();
  /** `projects`: the projects the Azure DevOps fake's organisation has (another answers 404 VS800075). */
  readonly azureDevOps = {
    projects: ['Identity'],
    workItems: [] as AdoWorkItem[],
    nextId: 1,
    nextCommentId: 1,
  };
  /** `dropLabelsOnCreate`: GitHub silently drops labels on create for tokens without push/triage access. */
  readonly github = { issues: [] as GithubIssue[], nextId: 1, nextCommentId: 1, dropLabelsOnCreate: false };

  /** The next `times` requests to `system` answer `status` (with `Retry-After` when given) and change nothing. */
  failNext(system: string, status: number, times: number, retryAfterSeconds?: number): void {
    this.failures.set(system, { status, remaining: times, retryAfterSeconds });
  }

  /**
   * The next `times` requests to `system` are redirected (307, which tells a client to re-send the same
   * method and body) to `location`, as a misconfigured proxy or a hostile DNS answer might.
   */
  redirectNext(system: string, location: string, times = 1): void {
    this.failures.set(system, { status: 307, remaining: times, location });
  }

  /** Systems whose next `n` requests get no answer at all until the server stops (a hung backend). */
  readonly silences = new Map<string, number>();

  silenceNext(system: string, times = 1): void {
    this.silences.set(system, times);
  }

  /** Used by the server: whether this request to `system` is one to leave unanswered. */
  takeSilence(system: string): boolean {
    const remaining = this.silences.get(system) ?? 0;
    if (remaining <= 0) return false;
    if (remaining === 1) this.silences.delete(system);
    else this.silences.set(system, remaining - 1);
    return true;
  }

  /** `<system> <METHOD>` → how many more such requests take effect only when their client gives up. */
  readonly lateRequests = new Map<string, number>();
  /** How many requests are being held by `lateNext` right now (tests wait for one to arrive). */
  held = 0;

  /**
   * The next `times` requests with this method to `system` get no answer, and take effect only when the
   * client gives up on them (its timeout closes the connection): a backend that stored the record at
   * the last moment, the latest a write sent before a lease was lost can land.
   */
  lateNext(system: string, method: string, times = 1): void {
    this.lateRequests.set(`${system} ${method.toUpperCase()}`, times);
  }

  /** Used by the server: whether this request is one to hold until its client gives up. */
  takeLate(system: string, method: string): boolean {
    const key = `${system} ${method.toUpperCase()}`;
    const remaining = this.lateRequests.get(key) ?? 0;
    if (remaining <= 0) return false;
    if (remaining === 1) this.lateRequests.delete(key);
    else this.lateRequests.set(key, remaining - 1);
    return true;
  }

  readonly lostAnswersByMethod = new Map<string, TicketFakeFailure>();

  /**
   * Like `loseNextAnswers`, for requests with one HTTP method only (e.g. the POST of a comment after
   * the GET that looks for it). Honoured by the Azure DevOps, GitHub, Jira and ServiceNow fakes.
   */
  loseNextAnswersTo(system: string, method: string, status = 504, times = 1): void {
    this.lostAnswersByMethod.set(`${system} ${method.toUpperCase()}`, { status, remaining: times });
  }

  /**
   * Used by the fakes after a request took effect: a successful answer becomes the scripted failure
   * when one is pending for this method (`loseNextAnswersTo`), as if a proxy lost it.
   */
  loseAnswerIfScripted(system: string, method: string, answer: FakeAnswer): FakeAnswer {
    if (answer.status >= 400) return answer;
    const key = `${system} ${method.toUpperCase()}`;
    const lost = this.lostAnswersByMethod.get(key);
    if (!lost || lost.remaining <= 0) return answer;
    lost.remaining -= 1;
    if (lost.remaining === 0) this.lostAnswersByMethod.delete(key);
    return { status: lost.status, body: { error: { message: `Scripted failure ${lost.status}` } } };
  }

  /** Used by the fakes: the scripted failure for this request, if one is pending. */
  takeFailure(system: string): TicketFakeFailure | undefined {
    const failure = this.failures.get(system);
    if (!failure || failure.remaining <= 0) return undefined;
    failure.remaining -= 1;
    if (failure.remaining === 0) this.failures.delete(system);
    return failure;
  }

  // ServiceNow, Jira and webhook fakes (servicenowRoutes.ts, jiraRoutes.ts, webhookRoutes.ts).
  readonly servicenow = { incidents: [] as ServicenowIncident[], nextNumber: 10001 };
  /**
   * `projects`: the keys the Jira fake accepts (an unknown key answers 400, as Jira does).
   * `searchLagRequests`: JQL search is eventually consistent on Jira Cloud; a new issue stays out of the
   * next n searches unless its id is in the search's `reconcileIssues` (0: found at once).
   */
  readonly jira = {
    projects: ['SSPR'],
    issues: [] as JiraIssue[],
    nextId: 10001,
    nextCommentId: 10001,
    searchLagRequests: 0,
  };
  /** `secret`: when set, the receiver verifies X-Signature-256 and answers 401 on a mismatch. */
  readonly webhook = { secret: null as string | null, deliveries: [] as WebhookDelivery[] };
  readonly lostAnswers = new Map<string, TicketFakeFailure>();

  /**
   * The next `times` requests to `system` take effect but answer `status`: a proxy timeout after the
   * system stored the record. This is how a retry of a non-idempotent POST opens a second ticket.
   */
  loseNextAnswers(system: string, status = 504, times = 1): void {
    this.lostAnswers.set(system, { status, remaining: times });
  }

  /**
   * One request to a fake, in the order a real service sees it: a scripted failure (from a proxy or a
   * throttle in front of the system) first, then authentication, then `handle`; a lost answer keeps
   * the effect but replaces the reply. Every request is logged with Authorization redacted.
   */
  answer(
    system: string,
    request: FakeRequest,
    steps: {
      authorize: (request: FakeRequest) => FakeAnswer | undefined;
      handle: () => FakeAnswer;
      loggedBody?: unknown;
    },
  ): FakeAnswer {
    let answer: FakeAnswer;
    const failure = this.takeFailure(system);
    if (failure) {
      answer = scriptedFailure(failure);
    } else {
      answer = steps.authorize(request) ?? steps.handle();
      const lost = this.lostAnswers.get(system);
      if (lost && answer.status < 400) {
        lost.remaining -= 1;
        if (lost.remaining <= 0) this.lostAnswers.delete(system);
        answer = scriptedFailure(lost);
      }
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined) continue;
      headers[name] =
        name.toLowerCase() === 'authorization'
          ? '<redacted>'
          : Array.isArray(value)
            ? value.join(', ')
            : value;
    }
    this.requests.push({
      system,
      method: request.method,
      path: request.url,
      status: answer.status,
      headers,
      body: 'loggedBody' in steps ? steps.loggedBody : (request.body ?? null),
    });
    return answer;
  }
}

/** What a fake answers: status, JSON body (none for 204) and extra headers. */
export interface FakeAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** The parts of a Fastify request the shared fake path needs. */
export interface FakeRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}

function scriptedFailure(failure: TicketFakeFailure): FakeAnswer {
  return {
    status: failure.status,
    body: { error: { message: `Scripted failure ${failure.status}` } },
    headers: {
      ...(failure.retryAfterSeconds === undefined
        ? {}
        : { 'Retry-After': String(failure.retryAfterSeconds) }),
      ...(failure.location === undefined ? {} : { Location: failure.location }),
    },
  };
}

/** A ServiceNow incident as the fake keeps it: Table API fields as strings, and the work notes journal. */
export interface ServicenowIncident {
  sysId: string;
  number: string;
  fields: Record<string, string>;
  workNotes: Array<{ value: string; createdOn: string }>;
}

/** A Jira Cloud issue as the fake keeps it; `description` and comment bodies are ADF documents. */
export interface JiraIssue {
  id: string;
  key: string;
  projectKey: string;
  summary: string;
  issueType: string;
  description: unknown;
  labels: string[];
  status: { name: string; category: 'new' | 'indeterminate' | 'done' };
  comments: JiraComment[];
  created: string;
  /** How many more searches leave this issue out (the search index has not caught up yet). */
  hiddenFromSearches?: number;
}

export interface JiraComment {
  id: string;
  body: unknown;
  created: string;
}

/** One accepted webhook delivery: the Idempotency-Key, the signature header and the parsed body. */
export interface WebhookDelivery {
  idempotencyKey: string | null;
  signature: string | null;
  body: unknown;
  receivedAt: string;
}
