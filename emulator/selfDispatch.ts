import https from 'node:https';

export interface SelfResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  payload: string;
}

export interface SelfRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * Sends $batch items back through the emulator's own HTTPS listener, so each item meets the same
 * faults, authentication, throttling and logging as a direct call. (fastify.inject would do this
 * in-process, but its cookie dependency is ESM-only and cannot load under Jest on Node 20.)
 */
export class SelfDispatcher {
  private readonly agent: https.Agent;
  port = 0;

  constructor(ca: string) {
    this.agent = new https.Agent({ keepAlive: true, ca });
  }

  send(request: SelfRequest): Promise<SelfResponse> {
    return new Promise((resolve, reject) => {
      const outgoing = https.request(
        {
          host: '127.0.0.1',
          port: this.port,
          method: request.method,
          path: request.path,
          headers:
            request.body === undefined
              ? request.headers
              : { ...request.headers, 'content-length': Buffer.byteLength(request.body) },
          agent: this.agent,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              payload: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end(request.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
