/* Header helpers for the tests that read what the gateway received. */
import type { RecordedRequest } from '../gateway/server';

/** The values of every `name` header line (lower case) the gateway received in one request. */
export function headerLines(request: RecordedRequest, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    if (request.rawHeaders[i].toLowerCase() === name) out.push(request.rawHeaders[i + 1]);
  }
  return out;
}

/** The values of every `traceparent` header line the gateway received in one request. */
export function traceparentLines(request: RecordedRequest): string[] {
  return headerLines(request, 'traceparent');
}
