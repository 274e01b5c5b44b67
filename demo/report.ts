/*
 * What the demo prints: the finished spans as a tree (name, duration, status, the attributes a
 * person looks at first) and a summary of the metric points (count and sum per attribute set).
 */
import { SpanStatusCode, type AttributeValue, type Attributes } from '@opentelemetry/api';
import type { DataPoint, MetricData } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

type Span = ReadableSpan;
/** [label, attribute key, whether a 0 is left out]; an empty label shows the bare value. */
type Field = readonly [string, string, 'hide zero'?];

/** Span attributes shown under a span, as `label=value`, in this order. */
const SPAN_FIELDS: readonly Field[] = [
  ['model', 'gen_ai.request.model'],
  ['id', 'gen_ai.response.id'],
  ['conversation', 'gen_ai.conversation.id'],
  ['in', 'gen_ai.usage.input_tokens'],
  ['cached', 'gen_ai.usage.cache_read.input_tokens', 'hide zero'],
  ['out', 'gen_ai.usage.output_tokens'],
  ['reasoning', 'gen_ai.usage.reasoning.output_tokens', 'hide zero'],
  ['ttft_ms', 'bud.inference.ttft_ms'],
  ['chunks', 'bud.inference.chunks'],
  ['finish', 'gen_ai.response.finish_reasons'],
  ['error.type', 'error.type'],
];

/** Metric point attributes shown, in this order. */
const POINT_FIELDS: readonly Field[] = [
  ['', 'gen_ai.token.type'],
  ['model', 'gen_ai.request.model'],
  ['error.type', 'error.type'],
];

const STATUS = { [SpanStatusCode.UNSET]: 'UNSET', [SpanStatusCode.OK]: 'OK', [SpanStatusCode.ERROR]: 'ERROR' };

function shortId(value: string): string {
  return value.length > 18 ? `${value.slice(0, 16)}…` : value;
}

function formatValue(value: AttributeValue): string {
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'number' && !Number.isInteger(value)) return value.toFixed(1);
  return typeof value === 'string' && value.startsWith('resp_') ? shortId(value) : String(value);
}

/** `label=value` pairs of the fields present in `attributes`. */
function fields(attributes: Attributes, wanted: readonly Field[]): string {
  return wanted
    .filter(([, key, hideZero]) => attributes[key] !== undefined && !(hideZero && attributes[key] === 0))
    .map(([label, key]) => {
      const value = formatValue(attributes[key] as AttributeValue);
      return label ? `${label}=${value}` : value;
    })
    .join(' ');
}

function durationMs(span: Span): string {
  const [seconds, nanos] = span.duration;
  return `${(seconds * 1e3 + nanos / 1e6).toFixed(1)} ms`;
}

function parentId(span: Span): string | undefined {
  return span.parentSpanContext?.spanId;
}

function spanLines(span: Span, children: Map<string, Span[]>, lead: string, last: boolean, root: boolean): string[] {
  const branch = root ? '' : last ? '└─ ' : '├─ ';
  const below = root ? '' : last ? '   ' : '│  ';
  const kids = children.get(span.spanContext().spanId) ?? [];
  const head = `${lead}${branch}${span.name}  ${durationMs(span)}  ${STATUS[span.status.code]}`;
  const detail = fields(span.attributes, SPAN_FIELDS);
  const detailLead = `${lead}${below}${kids.length ? '│  ' : '   '}`;
  return [
    head,
    ...(detail ? [`${detailLead}${detail}`] : []),
    ...kids.flatMap((kid, i) => spanLines(kid, children, `${lead}${below}`, i === kids.length - 1, false)),
  ];
}

/** The spans as trees, children in start order. */
export function formatSpanTree(spans: Span[]): string[] {
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  const byStart = [...spans].sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  const children = new Map<string, Span[]>();
  for (const span of byStart) {
    const parent = parentId(span);
    if (parent && ids.has(parent)) children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const roots = byStart.filter((s) => !ids.has(parentId(s) ?? ''));
  return roots.flatMap((root) => spanLines(root, children, '', true, true));
}

function pointValue(point: DataPoint<unknown>, unit: string): string {
  const value = point.value as number | { count: number; sum?: number };
  const digits = unit === 's' ? 4 : 0;
  if (typeof value === 'number') return `value=${value.toFixed(digits)}`;
  return `count=${value.count} sum=${(value.sum ?? 0).toFixed(digits)}`;
}

/** One header per instrument, one line per attribute set: count and sum (or the value). */
export function formatMetrics(data: MetricData[]): string[] {
  return data.flatMap((metric) => {
    const { name, unit } = metric.descriptor;
    const points = metric.dataPoints as Array<DataPoint<unknown>>;
    const labels = points.map((p) => fields(p.attributes, POINT_FIELDS));
    const width = Math.max(...labels.map((l) => l.length));
    return [`${name} [${unit}]`, ...points.map((p, i) => `  ${labels[i].padEnd(width)}  ${pointValue(p, unit)}`)];
  });
}
