// Optional OpenTelemetry tracing, off by default. This module is all that loads when it is off: it
// holds the active tracer (none until startTracing) behind a small interface, so the code that makes
// spans (GraphQL, the database adapter, the HTTP server) never imports OpenTelemetry itself, and
// src/telemetry/otel.ts with the SDK and exporter is imported only when tracing is turned on.
//
// Span attributes are chosen, never copied: operation names and types, SQL verbs and table names,
// HTTP methods, hosts and status codes. No document, variables, SQL text, URL path or query, header
// or body is recorded, so no token, secret or authorization code can reach a trace.

import { createRequire } from 'node:module';

export type SpanAttributes = Record<string, string | number | boolean>;

export interface ActiveSpan {
  setAttributes(attributes: SpanAttributes): void;
  /** Marks the span failed with a short, secret-free description (an error class or code). */
  fail(description: string): void;
}

export interface Tracer {
  /** Runs `fn` inside a new span (the parent is the span active where it is called) and ends it when `fn` settles. */
  inSpan<T>(name: string, attributes: SpanAttributes, fn: (span: ActiveSpan) => T, options?: { onlyInTrace?: boolean }): T;
}

export interface TracingHandle {
  /** Sends the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

let active: Tracer | undefined;

/** The tracer spans are made with, or undefined while tracing is off. */
export function activeTracer(): Tracer | undefined {
  return active;
}

export function setActiveTracer(tracer: Tracer | undefined): void {
  active = tracer;
}

/**
 * Tracing is on with LATCHKEY_OTEL_ENABLED=true, or when the standard OpenTelemetry variables ask
 * for an OTLP exporter (OTEL_TRACES_EXPORTER=otlp, OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). LATCHKEY_OTEL_ENABLED=false or OTEL_SDK_DISABLED=true turn it off.
 */
export function tracingEnabled(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED === 'true' || env.LATCHKEY_OTEL_ENABLED === 'false') return false;
  if (env.LATCHKEY_OTEL_ENABLED === 'true') return true;
  if (env.OTEL_TRACES_EXPORTER) return env.OTEL_TRACES_EXPORTER.split(',').some((name) => name.trim() === 'otlp');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** The package's version, reported as the service version (from dist/bundle/, dist/<folder>/ or src/<folder>/ alike). */
export function latchkeyVersion(): string {
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}

/** Loads the OpenTelemetry SDK and makes it the active tracer; the exporter reads the standard OTEL_* variables. */
export async function startTracing(options: { serviceName: string; serviceVersion: string }): Promise<TracingHandle> {
  const { startOpenTelemetry } = await import('./otel.js');
  return startOpenTelemetry(options);
}
