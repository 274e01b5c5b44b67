/*
 * The safe-field policy (docs/TELEMETRY.md §4, §5): which request params and Response fields are recorded
 * by default, and which are content, recorded only with `captureContent`.
 */

/** create() params recorded by default (`captureInput: true`): no free text. */
export const SAFE_INPUT_FIELDS: readonly string[] = Object.freeze([
  'model',
  'temperature',
  'top_p',
  'max_output_tokens',
  'stream',
  'tool_choice',
  'previous_response_id',
  'reasoning',
  'store',
  'service_tier',
  'truncation',
  'background',
  'parallel_tool_calls',
  'max_tool_calls',
  'include',
  'prompt',
]);

/**
 * create() params that hold content, added to the defaults by `captureContent`.
 * `prompt.variables` stands for the whole `prompt` param (with its variables).
 */
export const CONTENT_INPUT_FIELDS: readonly string[] = Object.freeze([
  'input',
  'instructions',
  'tools',
  'user',
  'prompt.variables',
  'metadata',
  'text',
]);

/** Response fields recorded by default (`captureOutput: true`). */
export const SAFE_OUTPUT_FIELDS: readonly string[] = Object.freeze([
  'id',
  'model',
  'status',
  'created_at',
  'usage',
  'finish_reasons',
  'service_tier',
  'tool_calls',
  'error',
  'incomplete_details',
]);

/** Response fields that hold content, added to the defaults by `captureContent`. */
export const CONTENT_OUTPUT_FIELDS: readonly string[] = Object.freeze(['output_text', 'output']);

