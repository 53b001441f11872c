/** Shared state of the ticket-system fakes: what was filed, and the request log. Extended by each fake. */
export interface TicketFakeRequest {
  system: string;
  method: string;
  path: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export class TicketFakeState {
  readonly requests: TicketFakeRequest[] = [];
}
