// V8 settings for a long-running gateway process, applied before Prisma compiles the WebAssembly of
// its query compiler. By default V8 compiles a WebAssembly module twice: at once with its baseline
// compiler (Liftoff), and then the whole module again with its optimizing one (TurboFan) on
// background threads. For Prisma's 3 MB query compiler that second compile costs about 1.5 s of CPU
// at every start and leaves ~100 MB of compiled code and compiler memory behind (measured in
// docs/benchmark.md), while a query spends only microseconds in it. LATCHKEY_WASM_TIER_UP=1 keeps
// V8's default.
import { setFlagsFromString } from 'node:v8';

export const GATEWAY_V8_FLAGS = ['--liftoff-only'] as const;

/** Applies GATEWAY_V8_FLAGS unless the environment opts out; returns the flags applied. */
export function applyGatewayV8Flags(env: NodeJS.ProcessEnv): readonly string[] {
  if (env.LATCHKEY_WASM_TIER_UP === '1') return [];
  for (const flag of GATEWAY_V8_FLAGS) setFlagsFromString(flag);
  return GATEWAY_V8_FLAGS;
}
