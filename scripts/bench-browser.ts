// What a browser does with an authorizationUrl in the benches: follow the redirects to the
// provider (the fakes approve at once) and back to the gateway's callback, keeping the gateway's
// cookies as a browser would, since the attempt is bound to the browser that opened it.

/** Follows an authorizationUrl through the provider and back; throws unless the gateway reports success. */
export async function completeInBrowser(authorizationUrl: string): Promise<void> {
  let next = new URL(authorizationUrl);
  const gatewayOrigin = next.origin;
  const cookies = new Map<string, string>();
  const visit = async (target: URL) => {
    const headers: Record<string, string> = {};
    if (target.origin === gatewayOrigin && cookies.size) headers.cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(target, { redirect: 'manual', headers });
    if (target.origin === gatewayOrigin) {
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const at = pair.indexOf('=');
        if (at > 0) cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
      }
    }
    return response;
  };
  for (let hop = 0; hop < 5 && !next.pathname.startsWith('/oauth/callback/'); hop += 1) {
    const response = await visit(next);
    next = new URL(response.headers.get('location')!, next);
  }
  const callback = await visit(next);
  const back = new URL(callback.headers.get('location') ?? 'http://invalid/');
  if (back.searchParams.get('latchkey_status') !== 'success') throw new Error(`connecting failed: ${back.search}`);
}
