// @latchkey/auth — log a site's visitors' browser into a service through a Latchkey gateway, in a
// popup, OneGraph-auth style. Plain ES module, no dependencies, no build step. Types: latchkey-auth.d.ts.
//
// Give it a FUNCTION token (lkf_…) that your backend minted with createFunctionToken — with
// canConnect: true when the page may connect and disconnect services. Never ship the site token
// (lks_…) to a browser: it is the key to every connection of the site.

const DEFAULT_TIMEOUT_MS = 5 * 60 * 1000;
const POPUP_POLL_MS = 250;

/** An error with a stable `code`: POPUP_BLOCKED, POPUP_CLOSED, ACCESS_DENIED, TIMEOUT, a provider's error, or a gateway code. */
export class LatchkeyAuthError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {{ service?: string, attemptId?: string, providerError?: string }} [details]
   */
  constructor(code, message, details = {}) {
    super(message);
    this.name = 'LatchkeyAuthError';
    this.code = code;
    this.service = details.service;
    this.attemptId = details.attemptId;
    this.providerError = details.providerError;
  }
}

/** "github" → "GITHUB"; "custom:acme" (a service the site defined itself) stays as it is. */
function serviceName(service) {
  if (typeof service === 'string' && /^custom:[a-z][a-z0-9-]*[a-z0-9]$/.test(service)) return service;
  if (typeof service !== 'string' || !/^[A-Za-z][A-Za-z0-9_]*$/.test(service)) {
    throw new LatchkeyAuthError('BAD_USER_INPUT', `"${String(service)}" is not a service name: use e.g. "github", "GITHUB" or "custom:<slug>".`);
  }
  return service.toUpperCase();
}

const customSlug = (name) => (name.startsWith('custom:') ? name.slice('custom:'.length) : null);

export class LatchkeyAuth {
  /**
   * @param {{ gatewayUrl: string, token: string, timeoutMs?: number, popupFeatures?: string }} options
   */
  constructor(options) {
    if (!options || typeof options.gatewayUrl !== 'string') {
      throw new LatchkeyAuthError('LATCHKEY_CONFIG_MISSING', 'new LatchkeyAuth({ gatewayUrl, token }) needs gatewayUrl, the base URL of the Latchkey gateway.');
    }
    if (typeof options.token !== 'string' || !options.token) {
      throw new LatchkeyAuthError('LATCHKEY_CONFIG_MISSING', 'new LatchkeyAuth({ gatewayUrl, token }) needs token: a function token (lkf_…) minted by your backend.');
    }
    if (options.token.startsWith('lks_')) {
      // Refuse loudly: a site token in a page is readable by every script on it.
      throw new LatchkeyAuthError(
        'SITE_TOKEN_IN_BROWSER',
        'This is a site token (lks_…), which must never reach a browser. Mint a function token on your backend with createFunctionToken(input: { canConnect: true, services: [...] }) and pass that.',
      );
    }
    const base = new URL(options.gatewayUrl, typeof location === 'undefined' ? undefined : location.href);
    this.gatewayOrigin = base.origin;
    this.graphqlUrl = new URL('graphql', base.href.endsWith('/') ? base.href : `${base.href}/`).href;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.popupFeatures = options.popupFeatures ?? 'popup=yes,width=560,height=720';
    /** @private */
    this.token = options.token;
    /** @private */
    this.fieldsByService = null;
  }

  /** @private */
  async request(query, variables = {}) {
    let response;
    try {
      response = await fetch(this.graphqlUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          authorization: `Bearer ${this.token}`,
        },
        body: JSON.stringify({ query, variables }),
      });
    } catch {
      throw new LatchkeyAuthError('NETWORK_ERROR', `The Latchkey gateway at ${this.gatewayOrigin} could not be reached.`);
    }
    let body;
    try {
      body = await response.json();
    } catch {
      throw new LatchkeyAuthError('UPSTREAM_ERROR', `The Latchkey gateway answered HTTP ${response.status} without a GraphQL response.`);
    }
    if (body.errors && body.errors.length) {
      const [error] = body.errors;
      const code = (error.extensions && error.extensions.code) || 'GRAPHQL_ERROR';
      throw new LatchkeyAuthError(code, error.message, { service: error.extensions && error.extensions.service });
    }
    return body.data;
  }

  /**
   * Opens the provider's consent page in a popup; resolves once the gateway stored the connection.
   * Call it straight from a click handler: the popup opens before anything is awaited, so popup
   * blockers let it through.
   * @param {string} service e.g. "github" or "GITHUB"
   * @param {{ scopes?: string[], timeoutMs?: number }} [options]
   * @returns {Promise<{ service: string, attemptId: string }>}
   */
  login(service, options = {}) {
    let name;
    try {
      name = serviceName(service);
    } catch (error) {
      return Promise.reject(error);
    }
    const popup = typeof window === 'undefined' ? null : window.open('about:blank', `latchkey-${name.toLowerCase()}`, this.popupFeatures);
    if (!popup) {
      return Promise.reject(
        new LatchkeyAuthError('POPUP_BLOCKED', 'The browser blocked the login popup: call login() directly from a click handler, or allow popups for this site.', { service: name }),
      );
    }
    try {
      popup.document.title = 'Connecting…';
    } catch {
      // A reused popup may already show another origin.
    }
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;

    return new Promise((resolve, reject) => {
      let attemptId = null;
      let settled = false;
      let timer = null;
      let poller = null;

      const finish = (outcome, closePopup) => {
        if (settled) return;
        settled = true;
        window.removeEventListener('message', onMessage);
        clearTimeout(timer);
        clearInterval(poller);
        if (closePopup && !popup.closed) popup.close();
        outcome.ok ? resolve(outcome.value) : reject(outcome.error);
      };

      const failure = (status) => {
        const error = status.error || 'AUTH_FAILED';
        if (error === 'access_denied') {
          return new LatchkeyAuthError('ACCESS_DENIED', `Access to ${name} was denied on the provider's page.`, { service: name, attemptId, providerError: error });
        }
        return new LatchkeyAuthError(error, `Connecting ${name} failed (${error}).`, { service: name, attemptId, providerError: error });
      };

      // The gateway's callback page posts from the gateway's origin to this page's exact origin.
      const onMessage = (event) => {
        if (event.origin !== this.gatewayOrigin) return;
        const data = event.data;
        if (!data || data.source !== 'latchkey' || data.type !== 'latchkey:auth') return;
        if (attemptId === null || data.attempt !== attemptId) return;
        if (data.status === 'success') finish({ ok: true, value: { service: name, attemptId } }, false);
        else finish({ ok: false, error: failure(data) }, true);
      };
      window.addEventListener('message', onMessage);

      timer = setTimeout(() => {
        finish({ ok: false, error: new LatchkeyAuthError('TIMEOUT', `Connecting ${name} took longer than ${Math.round(timeoutMs / 1000)} s; try again.`, { service: name, attemptId }) }, true);
      }, timeoutMs);

      // A closed popup may have finished first (the success page closes itself): ask the gateway.
      poller = setInterval(() => {
        if (settled || !popup.closed) return;
        clearInterval(poller);
        if (attemptId === null) {
          finish({ ok: false, error: new LatchkeyAuthError('POPUP_CLOSED', `The login window for ${name} was closed before it finished.`, { service: name }) }, false);
          return;
        }
        const attemptField = customSlug(name) ? 'authAttempt: customAuthAttempt' : 'authAttempt';
        this.request(`query LatchkeyAuthAttempt($id: ID!) { ${attemptField}(id: $id, waitSeconds: 1) { status error } }`, { id: attemptId }).then(
          (data) => {
            const attempt = data.authAttempt;
            if (attempt && attempt.status === 'COMPLETED') finish({ ok: true, value: { service: name, attemptId } }, false);
            else if (attempt && attempt.status === 'FAILED') finish({ ok: false, error: failure(attempt) }, false);
            else finish({ ok: false, error: new LatchkeyAuthError('POPUP_CLOSED', `The login window for ${name} was closed before it finished.`, { service: name, attemptId }) }, false);
          },
          (error) => finish({ ok: false, error }, false),
        );
      }, POPUP_POLL_MS);

      const slug = customSlug(name);
      const input = slug ? { customService: slug } : { service: name };
      if (options.scopes) input.scopes = options.scopes;
      this.request('mutation LatchkeyAuthStart($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl attemptId } }', { input }).then(
        (data) => {
          if (settled) return;
          attemptId = data.startAuth.attemptId;
          popup.location.href = data.startAuth.authorizationUrl;
        },
        (error) => finish({ ok: false, error }, true),
      );
    });
  }

  /**
   * Per-service login state, keyed by the service's field name (github, spotify, …) and, for the
   * site's custom services, by slug (service "custom:<slug>"). Never carries a token.
   * @returns {Promise<Record<string, { service: string, friendlyServiceName: string, isLoggedIn: boolean, grantedScopes: string[], foreignUserId: string | null, expiresAt: string | null }>>}
   */
  async servicesStatus() {
    const data = await this.request(
      'query LatchkeyAuthStatus { services { service friendlyServiceName graphQLField } secrets { loggedInServices { service isLoggedIn foreignUserId expiresAt grantedScopes { scope } } customServices { slug serviceKey friendlyServiceName isLoggedIn foreignUserId expiresAt grantedScopes { scope } } } }',
    );
    this.fieldsByService = new Map(data.services.map((entry) => [entry.service, entry.graphQLField]));
    const loggedIn = new Map(data.secrets.loggedInServices.map((entry) => [entry.service, entry]));
    const status = {};
    // A slug never equals a catalog field name; the catalog's entry, written after, would win.
    for (const secret of data.secrets.customServices) {
      status[secret.slug] = {
        service: secret.serviceKey,
        friendlyServiceName: secret.friendlyServiceName,
        isLoggedIn: secret.isLoggedIn,
        grantedScopes: secret.isLoggedIn && secret.grantedScopes ? secret.grantedScopes.map((granted) => granted.scope) : [],
        foreignUserId: secret.isLoggedIn ? secret.foreignUserId : null,
        expiresAt: secret.isLoggedIn ? secret.expiresAt : null,
      };
    }
    for (const entry of data.services) {
      const secret = loggedIn.get(entry.service);
      status[entry.graphQLField] = {
        service: entry.service,
        friendlyServiceName: entry.friendlyServiceName,
        isLoggedIn: Boolean(secret && secret.isLoggedIn),
        grantedScopes: secret && secret.grantedScopes ? secret.grantedScopes.map((granted) => granted.scope) : [],
        foreignUserId: secret ? secret.foreignUserId : null,
        expiresAt: secret ? secret.expiresAt : null,
      };
    }
    return status;
  }

  /**
   * @param {string} service
   * @returns {Promise<boolean>}
   */
  async isLoggedIn(service) {
    const name = serviceName(service);
    const status = await this.servicesStatus();
    return Object.values(status).some((entry) => entry.service === name && entry.isLoggedIn);
  }

  /**
   * Revokes the connection at the provider where supported and forgets its tokens.
   * @param {string} service
   * @returns {Promise<void>}
   */
  async logout(service) {
    const name = serviceName(service);
    const slug = customSlug(name);
    if (slug) {
      await this.request('mutation LatchkeyAuthLogout($slug: String!) { signOutCustomService(slug: $slug) { isLoggedIn } }', { slug });
      return;
    }
    await this.request('mutation LatchkeyAuthLogout($service: Service!) { signOut(service: $service) { service isLoggedIn } }', { service: name });
  }
}

export default LatchkeyAuth;
