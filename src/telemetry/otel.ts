// The OpenTelemetry SDK behind src/telemetry/tracing.ts, imported only when tracing is on: a Node
// tracer provider (async-context propagation, so database and upstream spans nest under the request
// that caused them), a batch processor and the OTLP/HTTP exporter configured by the OTEL_* variables.
// Upstream calls are traced from undici's diagnostics channels, which both undici's fetch and Node's
// built-in fetch publish, so every outbound call is covered without wrapping each call site.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { setActiveTracer, type ActiveSpan, type Tracer, type TracingHandle } from './tracing.js';

function activeSpanOf(span: Span): ActiveSpan {
  return {
    setAttributes: (attributes) => void span.setAttributes(attributes),
    fail: (description) => span.setStatus({ code: SpanStatusCode.ERROR, message: description }),
  };
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function tracerOf(provider: NodeTracerProvider, name: string, version: string): Tracer {
  const otel = provider.getTracer(name, version);
  return {
    inSpan(spanName, attributes, fn, spanOptions) {
      if (spanOptions?.onlyInTrace && !trace.getSpan(context.active())) return fn({ setAttributes: () => {}, fail: () => {} });
      return otel.startActiveSpan(spanName, { attributes }, (span) => {
        const end = (error?: unknown) => {
          if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
          span.end();
        };
        try {
          const result = fn(activeSpanOf(span));
          if (isPromiseLike(result)) {
            return Promise.resolve(result).then(
              (value) => (end(), value),
              (error: unknown) => {
                end(error ?? 'rejected');
                throw error;
              },
            ) as unknown as typeof result;
          }
          end();
          return result;
        } catch (error) {
          end(error ?? 'thrown');
          throw error;
        }
      });
    },
  };
}

interface UndiciRequest {
  origin?: string | URL;
  method?: string;
}

/** Client spans for outbound HTTP calls: method, host, port and status only (a path or query can hold a token). */
function traceUndici(provider: NodeTracerProvider, name: string, version: string): () => void {
  const otel = provider.getTracer(`${name}/upstream`, version);
  const spans = new WeakMap<object, Span>();
  const onCreate = (message: unknown) => {
    const { request } = message as { request: UndiciRequest };
    let origin: URL;
    try {
      origin = new URL(String(request.origin));
    } catch {
      return;
    }
    const method = (request.method ?? 'GET').toUpperCase();
    const span = otel.startSpan(
      `${method} ${origin.hostname}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': method,
          'server.address': origin.hostname,
          'server.port': Number(origin.port || (origin.protocol === 'https:' ? 443 : 80)),
          'url.scheme': origin.protocol.replace(':', ''),
        },
      },
      context.active(),
    );
    spans.set(request as object, span);
  };
  const onHeaders = (message: unknown) => {
    const { request, response } = message as { request: object; response: { statusCode: number } };
    const span = spans.get(request);
    if (!span) return;
    span.setAttribute('http.response.status_code', response.statusCode);
    if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${response.statusCode}` });
    span.end();
    spans.delete(request);
  };
  const onError = (message: unknown) => {
    const { request, error } = message as { request: object; error: unknown };
    const span = spans.get(request);
    if (!span) return;
    const code = (error as { code?: unknown })?.code;
    span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' ? code : error instanceof Error ? error.name : 'error' });
    span.end();
    spans.delete(request);
  };
  subscribe('undici:request:create', onCreate);
  subscribe('undici:request:headers', onHeaders);
  subscribe('undici:request:error', onError);
  return () => {
    unsubscribe('undici:request:create', onCreate);
    unsubscribe('undici:request:headers', onHeaders);
    unsubscribe('undici:request:error', onError);
  };
}

export async function startOpenTelemetry(options: { serviceName: string; serviceVersion: string }): Promise<TracingHandle> {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME || options.serviceName, 'service.version': options.serviceVersion }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  const stopUndici = traceUndici(provider, options.serviceName, options.serviceVersion);
  setActiveTracer(tracerOf(provider, options.serviceName, options.serviceVersion));
  return {
    async shutdown() {
      setActiveTracer(undefined);
      stopUndici();
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}
