// V8 settings for a long-running gateway process, applied before Prisma compiles the WebAssembly of
// its query compiler. By default V8 compiles a WebAssembly module twice: at once with its baseline
// compiler (Liftoff), and then the whole module again with its optimizing one (TurboFan) on
// background threads. For Prisma's 3 MB query compiler that second compile costs about 1.5 s of CPU
// at every start and leaves ~100 MB of compiled code and compiler memory behind (measured in
// docs/benchmark.md), while a query spends only microseconds in it. LATCHKEY_WASM_TIER_UP=1 keeps
// V8's defaults (both flags below).
import { setFlagsFromString } from 'node:v8';

// --heap-growing-percent=60: V8 lets the old generation grow to up to 4x the live data before a full
// collection; under load that left ~170 MB of garbage for ~40 MB live (docs/benchmark.md, "End users
// at scale"). 60 caps the growth at 1.6x without lowering the heap limit, so a gateway whose live
// set is genuinely larger still grows (unlike --max-old-space-size, which could run it out of
// memory); it cost ~70 us of collection per request at 20,000 end users and no measurable
// throughput. Node refuses it in NODE_OPTIONS, hence set here.
export const GATEWAY_V8_FLAGS = ['--liftoff-only', '--heap-growing-percent=60'] as const;

/** Applies GATEWAY_V8_FLAGS unless the environment opts out; returns the flags applied. */
export function applyGatewayV8Flags(env: NodeJS.ProcessEnv): readonly string[] {
  if (env.LATCHKEY_WASM_TIER_UP === '1') return [];
  for (const flag of GATEWAY_V8_FLAGS) setFlagsFromString(flag);
  return GATEWAY_V8_FLAGS;
}
