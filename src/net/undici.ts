// undici (Agent, Pool, fetch) is loaded on the first outbound call, not at start: a gateway that has
// not yet called a provider, a webhook or a custom service saves ~8 MB and ~0.15 s of start-up CPU.
import type * as Undici from 'undici';

let loading: Promise<typeof Undici> | undefined;

export function loadUndici(): Promise<typeof Undici> {
  loading ??= import('undici');
  return loading;
}
