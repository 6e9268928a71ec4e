// Upstream URLs are built from fixed path templates; every value put into one is encoded as exactly
// one path segment, so no argument can change the path's shape (no "/", "..", "?" or "#" gets in).
import { badUserInput } from '../errors.js';

export type QueryValue = string | number | boolean | null | undefined;

function segment(value: string | number): string {
  const raw = String(value);
  if (raw === '' || raw === '.' || raw === '..') throw badUserInput(`"${raw}" is not a valid path value.`);
  return encodeURIComponent(raw);
}

/** `apiPath\`/repos/${owner}/${name}\`` with each value encoded as one segment. */
export function apiPath(strings: TemplateStringsArray, ...values: Array<string | number>): string {
  let path = strings[0]!;
  values.forEach((value, index) => {
    path += segment(value) + strings[index + 1]!;
  });
  return path;
}

/** Appends the defined query parameters, in the given order (so identical calls have identical keys). */
export function withQuery(path: string, query: Record<string, QueryValue>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) params.append(name, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/** The API base URL split into the origin (what the pool is bound to) and its path prefix. */
export function apiBase(apiUrl: string): { origin: string; host: string; prefix: string } {
  const url = new URL(apiUrl);
  return { origin: url.origin, host: url.host, prefix: url.pathname.replace(/\/+$/, '') };
}
