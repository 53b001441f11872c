import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * A fake Application Insights ingestion endpoint ("Breeze"): what the Azure Monitor exporter behind
 * applicationinsights 3.x POSTs to (`<IngestionEndpoint>/v2.1/track`), over HTTPS because the
 * exporter sends nowhere else. It stores every envelope and answers as Breeze does when all items
 * are accepted. Tests read `envelopes`; nothing here forwards anywhere.
 */

/** One telemetry item as the exporter sends it (the Breeze "TelemetryItem" contract). */
export interface Envelope {
  name: string;
  time: string;
  iKey?: string;
  sampleRate?: number;
  tags?: Record<string, string>;
  data?: { baseType?: string; baseData?: Record<string, any> };
  [key: string]: unknown;
}

/** In order: each track POST once its 200 answer was written, and each probe as it arrived. */
export type IngestionLogEntry =
  | { kind: 'track'; path: string; items: number; gzip: boolean }
  | { kind: 'probe'; label: string; envelopesBefore: number };

export interface RunningIngestion {
  /** 'https://127.0.0.1:<port>/', the IngestionEndpoint of a connection string. */
  url: string;
  /** Every envelope accepted (its 200 answer written), in order. */
  envelopes: Envelope[];
  /**
   * Track POSTs and probes in arrival order. A child process POSTs `/_probe?label=…` after `await flush()`;
   * the probe records how many envelopes were stored before it, so a test can tell the flush waited.
   */
  log: IngestionLogEntry[];
  /** Resolves once at least `count` envelopes matching `predicate` have arrived. */
  waitFor(predicate: (envelope: Envelope) => boolean, count?: number): Promise<Envelope[]>;
  stop(): Promise<void>;
}

/** Accepts a JSON array, a single JSON object, or newline-delimited envelopes (the 2.x SDK's format). */
export function parseEnvelopes(text: string): Envelope[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  try {
    const parsed: unknown = JSON.parse(trimmed);
    return (Array.isArray(parsed) ? parsed : [parsed]) as Envelope[];
  } catch {
    return trimmed
      .split(/\r?\n/)
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Envelope);
  }
}

export function buildIngestionServer(
  tls: { key: string; cert: string },
  store: { envelopes: Envelope[]; log: IngestionLogEntry[]; onStored: () => void },
): FastifyInstance {
  const app = Fastify({
    https: tls,
    logger: false,
    forceCloseConnections: true,
    bodyLimit: 64 * 1024 * 1024,
  }) as unknown as FastifyInstance;
  // The exporter sends application/json (gzip only to Azure hosts), the 2.x SDK x-json-stream: take raw bytes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const track = async (request: FastifyRequest, reply: FastifyReply) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const gzip = String(request.headers['content-encoding'] ?? '').toLowerCase() === 'gzip';
    let items: Envelope[];
    try {
      items = parseEnvelopes((gzip ? gunzipSync(raw) : raw).toString('utf8'));
    } catch {
      return reply.code(400).send({
        itemsReceived: 0,
        itemsAccepted: 0,
        errors: [{ index: 0, statusCode: 400, message: 'Invalid body.' }],
      });
    }
    // Stored once the answer is written: an envelope in `envelopes` is one the client was told was accepted.
    reply.raw.once('finish', () => {
      store.envelopes.push(...items);
      store.log.push({ kind: 'track', path: request.url.split('?')[0], items: items.length, gzip });
      store.onStored();
    });
    return reply.code(200).send({ itemsReceived: items.length, itemsAccepted: items.length, errors: [] });
  };
  app.post('/v2.1/track', track);
  app.post('/v2/track', track);

  // Not Breeze: a marker a test's child process sends after some step, to order it against the track POSTs.
  app.post<{ Querystring: { label?: string } }>('/_probe', async (request) => {
    store.log.push({
      kind: 'probe',
      label: request.query.label ?? '',
      envelopesBefore: store.envelopes.length,
    });
    return { envelopesBefore: store.envelopes.length };
  });

  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send({
      itemsReceived: 0,
      itemsAccepted: 0,
      errors: [{ index: 0, statusCode: 404, message: 'Not found.' }],
    });
  });
  return app;
}

export async function startIngestion(tls: { key: string; cert: string }): Promise<RunningIngestion> {
  const envelopes: Envelope[] = [];
  const log: IngestionLogEntry[] = [];
  const waiters = new Set<() => void>();
  const app = buildIngestionServer(tls, {
    envelopes,
    log,
    onStored: () => waiters.forEach((check) => check()),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;

  let stopped = false;
  return {
    url: `https://127.0.0.1:${port}/`,
    envelopes,
    log,
    waitFor: (predicate, count = 1) =>
      new Promise((resolve) => {
        const check = () => {
          const matching = envelopes.filter(predicate);
          if (matching.length >= count) {
            waiters.delete(check);
            resolve(matching);
          }
        };
        waiters.add(check);
        check();
      }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      waiters.clear();
      await app.close();
    },
  };
}
