/*
 * `gen_ai.response.finish_reasons` of a Response, shared by the span attributes and the
 * semconv output messages.
 */
import type { ResponseLike } from '../types';

/**
 * Output items that hand control back to the application (it must run the tool and call
 * again). Server-side tools (web search, file search, code interpreter, MCP, image generation)
 * run inside the response, so a response that used them still finished with `stop`.
 */
const CLIENT_TOOL_CALLS = new Set([
  'function_call',
  'custom_tool_call',
  'computer_call',
  'local_shell_call',
  'shell_call',
  'apply_patch_call',
]);

function hasClientToolCall(output: unknown): boolean {
  if (!Array.isArray(output)) return false;
  for (const item of output as unknown[]) {
    if (typeof item === 'object' && item !== null && CLIENT_TOOL_CALLS.has((item as { type?: string }).type ?? '')) return true;
  }
  return false;
}

/** `stop`, `tool_call`, `length`, `content_filter` or `error`; empty while the response is not finished. */
export function finishReasons(response: ResponseLike): string[] {
  switch (response.status) {
    case 'completed':
      return [hasClientToolCall(response.output) ? 'tool_call' : 'stop'];
    case 'incomplete':
      return [response.incomplete_details?.reason === 'content_filter' ? 'content_filter' : 'length'];
    case 'failed':
      return ['error'];
    default:
      return [];
  }
}
