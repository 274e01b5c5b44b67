export { BudResponsesInstrumentation, SUPPORTED_OPENAI_VERSIONS } from './instrumentation';
export type { OpenAIModuleLike } from './instrumentation';
export { UNSEEN_HINT_DELAY_MS } from './unseen-hint';
export type {
  BudResponsesInstrumentationConfig,
  CaptureSetting,
  RequestHook,
  ResolvedConfig,
  ResponseHook,
  SemconvMode,
} from './config';
export { DEFAULT_MAX_CONTENT_LENGTH } from './config';
export type { Cost, ModelPrice, Params, ResponseLike, ResponseUsage } from './attributes';
export {
  CONTENT_INPUT_FIELDS,
  CONTENT_OUTPUT_FIELDS,
  SAFE_INPUT_FIELDS,
  SAFE_OUTPUT_FIELDS,
  computeCost,
  outputText,
  requestAttributes,
  responseAttributes,
  toolCalls,
} from './attributes';
export { finishReasons } from './finish-reasons';
export { inputMessages, outputMessages, systemInstructions, toolDefinitions } from './messages';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
