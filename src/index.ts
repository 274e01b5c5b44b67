/*
 * The public API: the instrumentation class, its configuration and hook types, and the openai
 * versions it hooks. Everything else in src/ is internal and may change in any release.
 * (The zero-code entry is `@budecosystem/instrumentation-responses/register`, src/register/.)
 */
export { BudResponsesInstrumentation, SUPPORTED_OPENAI_VERSIONS } from './instrumentation';
export { DEFAULT_MAX_CONTENT_LENGTH } from './config';
export { CONTENT_INPUT_FIELDS, CONTENT_OUTPUT_FIELDS, SAFE_INPUT_FIELDS, SAFE_OUTPUT_FIELDS } from './mapping/fields';
export type {
  BudResponsesInstrumentationConfig,
  CaptureSetting,
  ContentCaptureMode,
  HookInfo,
  ModelPrice,
  OpenAIModuleLike,
  Params,
  RequestHookFunction,
  ResponseHookFunction,
  ResponseLike,
  ResponseUsage,
  SemconvMode,
} from './types';
