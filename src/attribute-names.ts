/*
 * This package's own attribute names (`bud.*`, and the `gen_ai.*` names that are not in the
 * semantic conventions v1.41). The conventions' names are in semconv.ts. A leaf.
 */

export const ATTR_BUD_OPERATION = 'bud.inference.operation';
export const ATTR_BUD_STREAM = 'bud.inference.stream';
export const ATTR_BUD_REQUEST_PREFIX = 'bud.inference.request.';
export const ATTR_BUD_PROMPT_ID = 'bud.inference.request.prompt.id';
export const ATTR_BUD_PROMPT_VERSION = 'bud.inference.request.prompt.version';
export const ATTR_BUD_PROMPT = 'bud.inference.request.prompt';
export const ATTR_BUD_TTFT_MS = 'bud.inference.ttft_ms';
export const ATTR_BUD_CHUNKS = 'bud.inference.chunks';
export const ATTR_BUD_STREAM_COMPLETED = 'bud.inference.stream_completed';
export const ATTR_BUD_RESPONSE_STATUS = 'gen_ai.response.status';
export const ATTR_BUD_RESPONSE_CREATED = 'gen_ai.response.created';
export const ATTR_BUD_USAGE_TOTAL_TOKENS = 'gen_ai.usage.total_tokens';
export const ATTR_BUD_TOOL_CALLS = 'bud.inference.response.tool_calls';
export const ATTR_BUD_ERROR_CODE = 'bud.inference.response.error.code';
export const ATTR_BUD_INCOMPLETE_REASON = 'bud.inference.response.incomplete_reason';
export const ATTR_BUD_OUTPUT_TEXT = 'bud.inference.response.output_text';
export const ATTR_BUD_COST_INPUT = 'bud.inference.cost.input';
export const ATTR_BUD_COST_OUTPUT = 'bud.inference.cost.output';
export const ATTR_BUD_COST_TOTAL = 'bud.inference.cost.total';
export const ATTR_BUD_COST_CURRENCY = 'bud.inference.cost.currency';

