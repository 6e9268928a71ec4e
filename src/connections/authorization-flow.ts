// The authorization-code flow around the database: start an attempt, complete it once from the
// gateway's callback or from finishAuth, let a CLI wait for it, and sign out.
import { EventEmitter } from 'node:events';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import * as client from 'openid-client';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { AuditTrail } from '../audit.js';
import { decryptSecret, encryptSecret, secretContext, type Keyring } from '../crypto/token-cipher.js';
import { generateId, hashOpaqueToken } from '../crypto/opaque-token.js';
import { LatchkeyError, authStateInvalid, badUserInput, forbidden, notFound, providerError, upstreamError } from '../errors.js';
import { getProvider, MAX_REQUESTED_SCOPES, normalizeRequestedScopes } from '../providers/index.js';
import { serviceLabel } from '../providers/custom.js';
import { callbackPathOf, familyOf, keyFactsOf, siteSlugOf } from '../registry/service-keys.js';
import type { ServiceKey, ServiceName } from '../providers/types.js';
import { authorizationUrlFor, exchangeAuthorizationCode, OAuthFailure, validatesIdTokens } from '../oauth/grants.js';
import { fetchIdentity } from '../oauth/identity.js';
import type { RevocationQueue, RevocationStatus } from './revocation-queue.js';
import { acceptsIssuer, type ProviderApps } from '../oauth/provider-apps.js';
import type { CustomServices } from '../oauth/custom-services.js';
import { grantedScopesOf, type ConnectionRow, type ConnectionStore } from './connection-store.js';
import { requireCatalogOAuth } from '../registry/service-registry.js';
import { endUserOf, siteOwner, type Owner } from './owners.js';
import type { TokenSet } from '../oauth/token-set.js';
import type { ForeignIdentity } from '../oauth/identity.js';

export type AttemptRow = Awaited<ReturnType<Database['authAttempt']['findUniqueOrThrow']>>;
export type AttemptStatus = 'PENDING' | 'AWAITING_VERIFICATION' | 'COMPLETED' | 'FAILED' | 'EXPIRED';

export const MAX_WAIT_SECONDS = 30;

export function attemptStatus(attempt: AttemptRow, now = Date.now()): AttemptStatus {
  if ((attempt.status === 'PENDING' || attempt.status === 'AWAITING_VERIFICATION') && attempt.expiresAt.getTime() <= now) return 'EXPIRED';
  return attempt.status as AttemptStatus;
}

/** The gateway's callback path: one per catalog service, one per site and custom service (mix-up defence). */
export const callbackPath = callbackPathOf;

/** Which callback path a request came in on. */
export type CallbackTarget = { service: ServiceKey; siteId?: string | undefined };

/** The exact origin of an absolute http(s) URL, or an error naming the field. */
function checkAllowedUrl(value: string, field: string, allowedOrigins: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badUserInput(`${field} must be an absolute URL.`, field);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw badUserInput(`${field} must be an http or https URL.`, field);
  if (url.username || url.password) throw badUserInput(`${field} must not contain credentials.`, field);
  if (!allowedOrigins.includes(url.origin)) {
    throw badUserInput(
      `${field} must be on one of this site's allowed origins (${allowedOrigins.join(', ') || 'none configured'}); ${url.origin} is not.`,
      field,
    );
  }
  return url;
}

export function allowedOriginsOf(site: { allowedOrigins: unknown }): string[] {
  return Array.isArray(site.allowedOrigins) ? site.allowedOrigins.filter((origin): origin is string => typeof origin === 'string') : [];
}

export interface StartAuthInput {
  service: ServiceKey;
  scopes?: readonly string[] | null | undefined;
  returnTo?: string | null | undefined;
  redirectUri?: string | null | undefined;
  /** Ask for exactly `scopes`, dropping what an existing connection was granted (default false). */
  replaceScopes?: boolean | null | undefined;
  /** Whose connection it becomes; default the site's own. */
  owner?: Owner | undefined;
}

export interface CallbackParameters {
  state?: string | null | undefined;
  code?: string | null | undefined;
  iss?: string | null | undefined;
  error?: string | null | undefined;
  errorDescription?: string | null | undefined;
}

export interface CompletedAuthorization {
  attempt: AttemptRow;
  /** Null while an end-user attempt awaits verification (confirmEndUser stores it). */
  connection: ConnectionRow | null;
  /** Where the browser confirms the end user (AWAITING_VERIFICATION only). */
  verifyUrl?: string;
}

/** The owner an attempt connects. */
export function attemptOwner(attempt: AttemptRow): Owner {
  return attempt.ownerType === 'END_USER' ? { siteId: attempt.siteId, ownerType: 'END_USER', ownerId: attempt.ownerId } : siteOwner(attempt.siteId);
}

/** The tokens an attempt awaiting verification holds (encrypted on the attempt). */
interface HeldAuthorization {
  tokens: Omit<TokenSet, 'response' | 'expiresAt'> & { expiresAt: string | null };
  identity: ForeignIdentity | null;
}

/** The cookie that binds a gateway-callback attempt to the browser that launched it. */
export const bindingCookieName = (attemptId: string) => `latchkey_binding_${attemptId}`;

/** Equal SHA-256 hex digests, compared in constant time. */
function sameHash(a: string | null | undefined, b: string): boolean {
  if (!a || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** What GET /oauth/start answers: where to send the browser, and the binding cookie to set. */
export interface Launch {
  attemptId: string;
  providerUrl: string;
  bindingSecret: string;
  maxAgeSeconds: number;
}

/** Thrown when an attempt fails after it was found, so the callback page can still say where to go. */
export class AttemptFailedError extends LatchkeyError {
  constructor(
    readonly attempt: AttemptRow,
    cause: LatchkeyError,
  ) {
    super(cause.code, cause.message, cause.extensions);
  }
}

/** A callback from a browser other than the one bound to the attempt; the attempt stays usable. */
export class UnboundBrowserError extends AttemptFailedError {}

export function createAuthorizationFlow(deps: {
  config: Config;
  db: Database;
  keyring: Keyring;
  logger: Logger;
  audit: AuditTrail;
  apps: ProviderApps;
  store: ConnectionStore;
  customServices: Pick<CustomServices, 'exists'>;
  revocations: Pick<RevocationQueue, 'revokeAtSignOut'>;
}) {
  const { config, db, keyring } = deps;
  const settled = new EventEmitter();
  settled.setMaxListeners(0);

  /**
   * Incremental consent: most providers (GitHub among them) give the new grant exactly the scopes
   * the new authorization asks for, so asking only for the added ones would drop the old ones.
   */
  async function withGrantedScopes(owner: Owner, service: ServiceKey, scopes: string[]): Promise<string[]> {
    const existing = await deps.store.find(owner, service);
    const live = existing && (existing.status === 'ACTIVE' || existing.status === 'REFRESHING');
    if (!live || existing.grantType !== 'AUTHORIZATION_CODE') return scopes;
    const union = [...new Set([...scopes, ...grantedScopesOf(existing)])];
    if (union.length > MAX_REQUESTED_SCOPES) {
      throw badUserInput(
        `Together with the ${grantedScopesOf(existing).length} scopes already granted that is more than ${MAX_REQUESTED_SCOPES}: pass replaceScopes: true to ask for only the scopes you list.`,
        'scopes',
      );
    }
    return union;
  }

  async function start(siteId: string, input: StartAuthInput) {
    // A custom service is known only through its site's definition (NOT_FOUND first); a catalog
    // service's OAuth app is looked for after the input is checked.
    const customClient = keyFactsOf(input.service).siteSlug !== null ? await deps.apps.requireClient(siteId, input.service) : undefined;
    const provider = customClient?.provider ?? requireCatalogOAuth(input.service);
    const site = await db.site.findUniqueOrThrow({ where: { id: siteId } });
    const origins = allowedOriginsOf(site);
    // The gateway's own pages (the connect page) may be returned to; they never receive a code.
    const returnTo = input.returnTo ? checkAllowedUrl(input.returnTo, 'returnTo', [...origins, new URL(config.publicUrl).origin]).href : null;
    let redirectUri = `${config.publicUrl}${callbackPath(input.service, siteId)}`;
    if (input.redirectUri) {
      const url = checkAllowedUrl(input.redirectUri, 'redirectUri', origins);
      if (url.hash) throw badUserInput('redirectUri must not contain a fragment (RFC 6749 §3.1.2).', 'redirectUri');
      // The token request repeats redirect_uri without its query (openid-client strips it), and
      // providers compare the two exactly: a query here could never complete.
      if (url.search) throw badUserInput('redirectUri must not contain a query string; keep any state of your own on your side.', 'redirectUri');
      redirectUri = url.href;
    }
    let scopes: string[];
    try {
      scopes = normalizeRequestedScopes(provider, input.scopes ?? undefined);
    } catch (error) {
      throw badUserInput(error instanceof Error ? error.message : 'invalid scopes', 'scopes');
    }
    const owner = input.owner ?? siteOwner(siteId);
    if (owner.siteId !== siteId) throw new Error('unreachable: the owner belongs to another site');
    if (!input.replaceScopes) scopes = await withGrantedScopes(owner, input.service, scopes);
    const providerClient = customClient ?? (await deps.apps.requireClient(siteId, input.service));

    const id = generateId('att');
    const state = client.randomState();
    const codeVerifier = provider.pkce ? client.randomPKCECodeVerifier() : undefined;
    const nonce = scopes.includes('openid') && validatesIdTokens(providerClient.config) ? client.randomNonce() : undefined;
    const expiresAt = new Date(Date.now() + config.authAttemptTtlSeconds * 1000);
    const attempt = {
      id,
      stateHash: hashOpaqueToken(state),
      siteId,
      service: input.service,
      ownerType: owner.ownerType,
      ownerId: owner.ownerId,
      codeVerifier: codeVerifier ? encryptSecret(keyring, codeVerifier, secretContext('AuthAttempt', 'codeVerifier', id)) : null,
      nonce: nonce ? encryptSecret(keyring, nonce, secretContext('AuthAttempt', 'nonce', id)) : null,
      scopes,
      redirectUri,
      appHandled: Boolean(input.redirectUri),
      returnTo,
      expiresAt,
    };
    let authorizationUrl: URL;
    try {
      authorizationUrl = await authorizationUrlFor(providerClient.config, provider, {
        redirectUri,
        scopes,
        state,
        codeChallenge: codeVerifier ? await client.calculatePKCECodeChallenge(codeVerifier) : undefined,
        nonce,
      });
    } catch (error) {
      // A pushed authorization request (RFC 9126) the server refused: the attempt is kept as FAILED.
      if (!(error instanceof OAuthFailure)) throw error;
      await db.authAttempt.create({ data: { ...attempt, status: 'FAILED', error: error.error, completedAt: new Date() } });
      throw error.kind === 'transient'
        ? upstreamError(input.service, `${provider.friendlyServiceName} did not accept the pushed authorization request (${error.error}); try again in a moment.`, error.status)
        : providerError(input.service, provider.friendlyServiceName, error.error);
    }
    // The gateway's callback completes only in the browser that opens the launch URL (browser
    // binding); the attempt is written once, with it.
    const launchKey = input.redirectUri ? undefined : randomBytes(32).toString('base64url');
    await db.authAttempt.create({
      data: launchKey
        ? {
            ...attempt,
            launchKeyHash: hashOpaqueToken(launchKey),
            providerUrl: encryptSecret(keyring, authorizationUrl.href, secretContext('AuthAttempt', 'providerUrl', id)),
          }
        : attempt,
    });
    await deps.audit({ type: 'auth.started', siteId, service: input.service, attemptId: id, detail: { scopes, endUser: endUserOf(owner) } });
    if (!launchKey) return { authorizationUrl: authorizationUrl.href, attemptId: id, expiresAt };
    const launchUrl = new URL(`${config.publicUrl}/oauth/start/${encodeURIComponent(id)}`);
    launchUrl.searchParams.set('k', launchKey);
    return { authorizationUrl: launchUrl.href, attemptId: id, expiresAt };
  }

  /**
   * GET /oauth/start/<attemptId>?k=<launch key>: binds the attempt to the first browser that opens it
   * and sends that browser on to the provider. The same browser (it presents its binding cookie) may
   * open it again; any other browser is refused, so a leaked launch URL cannot be taken over.
   */
  async function launch(attemptId: string, key: string | null, presentedBinding: string | null): Promise<Launch> {
    const refused = () => authStateInvalid('This sign-in link is not valid (wrong, expired or already opened in another browser): start a new attempt from your app.');
    if (!key || key.length > 200 || attemptId.length > 100) throw refused();
    const attempt = await db.authAttempt.findUnique({ where: { id: attemptId } });
    if (!attempt || attempt.appHandled || !attempt.providerUrl || !sameHash(attempt.launchKeyHash, hashOpaqueToken(key))) throw refused();
    const now = Date.now();
    if (attempt.status !== 'PENDING' || attempt.usedAt || attempt.expiresAt.getTime() <= now) throw refused();
    const maxAgeSeconds = Math.max(1, Math.ceil((attempt.expiresAt.getTime() - now) / 1000));
    const providerUrl = decryptSecret(keyring, attempt.providerUrl, secretContext('AuthAttempt', 'providerUrl', attempt.id));
    if (attempt.bindingHash) {
      if (!presentedBinding || !sameHash(attempt.bindingHash, hashOpaqueToken(presentedBinding))) throw refused();
      return { attemptId: attempt.id, providerUrl, bindingSecret: presentedBinding, maxAgeSeconds };
    }
    const bindingSecret = randomBytes(32).toString('base64url');
    // Only one browser wins the first launch, even when two open the link at once.
    const { count } = await db.authAttempt.updateMany({
      where: { id: attempt.id, bindingHash: null, status: 'PENDING', usedAt: null },
      data: { bindingHash: hashOpaqueToken(bindingSecret) },
    });
    if (count !== 1) throw refused();
    return { attemptId: attempt.id, providerUrl, bindingSecret, maxAgeSeconds };
  }

  function findByState(state: string | null | undefined): Promise<AttemptRow | null> {
    if (!state || state.length > 512) return Promise.resolve(null);
    return db.authAttempt.findUnique({ where: { stateHash: hashOpaqueToken(state) } });
  }

  /** Marks the attempt used; only one caller ever wins, so a state (and its code) works once. */
  async function consume(attempt: AttemptRow): Promise<void> {
    const now = new Date();
    const { count } = await db.authAttempt.updateMany({
      where: { id: attempt.id, usedAt: null, status: 'PENDING', expiresAt: { gt: now } },
      data: { usedAt: now },
    });
    if (count === 1) return;
    // The attempt itself is known, so the browser can still be sent back to its (checked) returnTo.
    if (attempt.expiresAt <= now) {
      throw new AttemptFailedError(attempt, authStateInvalid('This authorization attempt has expired: start a new one with startAuth.'));
    }
    throw new AttemptFailedError(attempt, authStateInvalid('This authorization attempt was already used: start a new one with startAuth.'));
  }

  async function settle(attempt: AttemptRow, status: 'COMPLETED' | 'FAILED', error?: string): Promise<AttemptRow> {
    const updated = await db.authAttempt.update({
      where: { id: attempt.id },
      data: { status, error: error ?? null, completedAt: new Date() },
    });
    settled.emit(attempt.id);
    return updated;
  }

  async function fail(attempt: AttemptRow, error: LatchkeyError, providerCode: string): Promise<never> {
    const updated = await settle(attempt, 'FAILED', providerCode);
    await deps.audit({ type: 'auth.failed', siteId: attempt.siteId, service: attempt.service, attemptId: attempt.id, detail: { error: providerCode } });
    throw new AttemptFailedError(updated, error);
  }

  async function complete(attempt: AttemptRow, parameters: CallbackParameters, state: string): Promise<CompletedAuthorization> {
    await consume(attempt);
    try {
      return await exchangeAndStore(attempt, parameters, state);
    } catch (error) {
      if (error instanceof AttemptFailedError) throw error;
      // Never leave a consumed attempt PENDING: a CLI waiting on it would wait until it expires.
      await settle(attempt, 'FAILED', 'server_error').catch(() => undefined);
      throw error;
    }
  }

  async function exchangeAndStore(attempt: AttemptRow, parameters: CallbackParameters, state: string): Promise<CompletedAuthorization> {
    const service = attempt.service as ServiceKey;
    const providerClient = await deps.apps.clientFor(attempt.siteId, service);
    const name = providerClient?.provider.friendlyServiceName ?? serviceLabel(service);
    if (parameters.error) {
      const code = parameters.error.slice(0, 100);
      const description = parameters.errorDescription?.slice(0, 300);
      return fail(attempt, providerError(service, name, code, description), code);
    }
    if (!parameters.code) {
      return fail(attempt, providerError(service, name, 'invalid_request', 'the callback carried no authorization code'), 'invalid_request');
    }
    if (!providerClient) {
      const what = keyFactsOf(service).clientGone(name);
      return fail(attempt, badUserInput(what), 'no_client');
    }
    const provider = providerClient.provider;

    const callbackUrl = new URL(attempt.redirectUri);
    callbackUrl.searchParams.set('code', parameters.code);
    callbackUrl.searchParams.set('state', state);
    // iss is checked here rather than by openid-client, which would demand the exact issuer string.
    if (!parameters.iss && providerClient.requireIss) {
      return fail(
        attempt,
        authStateInvalid(`${name} promises an iss parameter in its authorization responses (RFC 9207) and this one has none: a mix-up attempt, or the app did not pass iss to finishCustomAuth. Start a new attempt.`),
        'missing_issuer',
      );
    }
    if (parameters.iss && !acceptsIssuer(providerClient, parameters.iss)) {
      const setting = keyFactsOf(service).issuerSetting;
      return fail(
        attempt,
        authStateInvalid(`The authorization response names another issuer (iss): a mix-up attempt, or ${setting} is wrong. Start a new attempt.`),
        'invalid_issuer',
      );
    }
    const requestedScopes = Array.isArray(attempt.scopes) ? (attempt.scopes as string[]) : [];

    let tokens;
    try {
      tokens = await exchangeAuthorizationCode(providerClient.config, provider, {
        callbackUrl,
        expectedState: state,
        codeVerifier: attempt.codeVerifier
          ? decryptSecret(keyring, attempt.codeVerifier, secretContext('AuthAttempt', 'codeVerifier', attempt.id))
          : undefined,
        expectedNonce: attempt.nonce ? decryptSecret(keyring, attempt.nonce, secretContext('AuthAttempt', 'nonce', attempt.id)) : undefined,
        requestedScopes,
      });
    } catch (error) {
      if (!(error instanceof OAuthFailure)) throw error;
      const mapped =
        error.kind === 'transient'
          ? upstreamError(service, `${provider.friendlyServiceName} could not complete the authorization (${error.error}); start again in a moment.`, error.status)
          : error.kind === 'invalid-response'
            ? authStateInvalid(`The authorization response failed a check (${error.error}): start a new attempt with startAuth.`)
            : providerError(service, provider.friendlyServiceName, error.error);
      return fail(attempt, mapped, error.error);
    }

    let identity = null;
    try {
      identity = await fetchIdentity(provider, providerClient.endpoints, tokens, config.providerTimeoutSeconds, providerClient.fetch);
    } catch (error) {
      deps.logger.warn('identity lookup failed; connection stored without foreignUserId', {
        service,
        attemptId: attempt.id,
        reason: error instanceof Error ? error.message.slice(0, 200) : 'unknown',
      });
    }
    const siteSlug = siteSlugOf(service);
    if (siteSlug !== null && !(await deps.customServices.exists(attempt.siteId, siteSlug))) {
      return fail(attempt, badUserInput(`The site removed the ${name} while this authorization was under way.`), 'service_removed');
    }
    if (attempt.ownerType === 'END_USER') {
      const site = await db.site.findUnique({ where: { id: attempt.siteId }, select: { endUserVerifyUrl: true } });
      if (site?.endUserVerifyUrl) return hold(attempt, tokens, identity, site.endUserVerifyUrl);
    }
    return store(attempt, tokens, identity);
  }

  async function store(attempt: AttemptRow, tokens: TokenSet, identity: ForeignIdentity | null, settleAs = true): Promise<CompletedAuthorization> {
    const service = attempt.service as ServiceKey;
    const connection = await deps.store.saveAuthorized(attemptOwner(attempt), service, tokens, identity);
    const completed = settleAs ? await settle(attempt, 'COMPLETED') : attempt;
    await deps.audit({
      type: 'auth.completed',
      siteId: attempt.siteId,
      service,
      attemptId: attempt.id,
      connectionId: connection.id,
      detail: { grantedScopes: tokens.grantedScopes },
    });
    return { attempt: completed, connection };
  }

  const heldContext = (attemptId: string) => secretContext('AuthAttempt', 'heldTokens', attemptId);

  /**
   * End-user verification: the provider said yes, but the site has not yet confirmed that the
   * browser that finished the flow belongs to the end user who started it. The tokens wait,
   * encrypted on the attempt, for confirmEndUser; nothing is stored as a connection.
   */
  async function hold(attempt: AttemptRow, tokens: TokenSet, identity: ForeignIdentity | null, verifyUrl: string): Promise<CompletedAuthorization> {
    const { response: _response, expiresAt, ...rest } = tokens;
    const held: HeldAuthorization = { tokens: { ...rest, expiresAt: expiresAt?.toISOString() ?? null }, identity };
    const updated = await db.authAttempt.update({
      where: { id: attempt.id },
      data: { status: 'AWAITING_VERIFICATION', heldTokens: encryptSecret(keyring, JSON.stringify(held), heldContext(attempt.id)) },
    });
    settled.emit(attempt.id);
    await deps.audit({ type: 'auth.awaiting_verification', siteId: attempt.siteId, service: attempt.service, attemptId: attempt.id });
    return { attempt: updated, connection: null, verifyUrl };
  }

  /**
   * The site's backend confirms who finished an attempt awaiting verification: the end user who
   * started it → the connection is stored; anyone else → the attempt fails and its tokens are erased.
   */
  async function confirmEndUser(siteId: string, attemptId: string, endUser: string): Promise<CompletedAuthorization> {
    const attempt = await findAttempt(siteId, attemptId);
    if (!attempt) throw notFound(`No authorization attempt with id ${JSON.stringify(attemptId.slice(0, 100))} belongs to this site.`);
    const status = attemptStatus(attempt);
    if (status === 'EXPIRED' && attempt.status === 'AWAITING_VERIFICATION') {
      await db.authAttempt.updateMany({ where: { id: attempt.id, status: 'AWAITING_VERIFICATION' }, data: { status: 'EXPIRED', heldTokens: null } });
    }
    if (status !== 'AWAITING_VERIFICATION') {
      throw authStateInvalid(
        status === 'EXPIRED'
          ? 'This attempt expired before it was confirmed; nothing was stored. The end user must connect again.'
          : `This attempt does not await verification (it is ${status}): only an end-user attempt whose provider callback succeeded can be confirmed, once.`,
      );
    }
    const same = attempt.ownerType === 'END_USER' && attempt.ownerId === endUser;
    // One conditional update claims the attempt, so it is confirmed (or refused) exactly once.
    const { count } = await db.authAttempt.updateMany({
      where: { id: attempt.id, status: 'AWAITING_VERIFICATION', expiresAt: { gt: new Date() } },
      data: same
        ? { status: 'COMPLETED', heldTokens: null, completedAt: new Date() }
        : { status: 'FAILED', error: 'end_user_mismatch', heldTokens: null, completedAt: new Date() },
    });
    if (count !== 1) throw authStateInvalid('This attempt was confirmed or expired meanwhile: check it with authAttempt.');
    settled.emit(attempt.id);
    if (!same) {
      await deps.audit({ type: 'auth.failed', siteId, service: attempt.service, attemptId: attempt.id, detail: { error: 'end_user_mismatch' } });
      throw forbidden(
        'The attempt was started for another end user: nothing was stored and the attempt is now FAILED. If this was not an attack, the right end user must connect again.',
      );
    }
    const held = JSON.parse(decryptSecret(keyring, attempt.heldTokens!, heldContext(attempt.id))) as HeldAuthorization;
    const tokens: TokenSet = { ...held.tokens, expiresAt: held.tokens.expiresAt ? new Date(held.tokens.expiresAt) : null, response: {} };
    const completed = await db.authAttempt.findUniqueOrThrow({ where: { id: attempt.id } });
    const { connection } = await store(completed, tokens, held.identity, false);
    return { attempt: completed, connection };
  }

  /** The gateway's own callback: the state alone identifies the attempt. */
  async function completeCallback(
    target: CallbackTarget,
    parameters: CallbackParameters,
    cookies: Readonly<Record<string, string>> = {},
  ): Promise<CompletedAuthorization> {
    const attempt = await findByState(parameters.state);
    if (!attempt) throw authStateInvalid('Unknown authorization state: start a new attempt with startAuth.');
    if (attempt.service !== target.service) {
      throw authStateInvalid(`This callback belongs to ${attempt.service}, not ${target.service}: the provider redirected to the wrong callback path.`);
    }
    // A site-defined service's callback path names its site: it must be the attempt's.
    if (siteSlugOf(target.service) !== null && attempt.siteId !== target.siteId) {
      throw authStateInvalid("This callback belongs to another site's callback path: the provider redirected to the wrong one.");
    }
    if (attempt.appHandled) {
      throw authStateInvalid('This attempt is completed by the app through finishAuth, not by the gateway callback.');
    }
    // Refused before consume: a callback replayed in another browser leaves the rightful one able to finish.
    if (attempt.launchKeyHash) {
      const presented = cookies[bindingCookieName(attempt.id)];
      if (!presented || !sameHash(attempt.bindingHash, hashOpaqueToken(presented))) {
        throw new UnboundBrowserError(
          attempt,
          authStateInvalid('This authorization was started in another browser (or its sign-in cookie is missing): nothing was stored. Finish it in the browser that started it, or start a new attempt.'),
        );
      }
    }
    return complete(attempt, parameters, parameters.state!);
  }

  /**
   * finishAuth (catalog services) and finishCustomAuth: the app received the callback itself. The
   * attempt must belong to the caller's site; one for the other kind of service is refused unused.
   */
  async function finish(
    siteId: string,
    parameters: { state: string; code: string; iss?: string | null },
    kind: 'catalog' | 'custom' = 'catalog',
  ): Promise<CompletedAuthorization> {
    const attempt = await findByState(parameters.state);
    if (!attempt || attempt.siteId !== siteId) {
      throw authStateInvalid('Unknown authorization state for this site: start a new attempt with startAuth.');
    }
    if (!attempt.appHandled) {
      // Its code belongs to the gateway's callback in the browser that started it; an app holding the
      // state must not complete it elsewhere.
      throw authStateInvalid('This attempt completes through the gateway callback, not finishAuth: start one with redirectUri to finish it yourself.');
    }
    if (familyOf(attempt.service) !== kind) {
      throw badUserInput(
        kind === 'custom'
          ? 'This attempt is for a catalog service: finish it with finishAuth.'
          : 'This attempt is for a custom service: finish it with finishCustomAuth, which returns its CustomServiceSecret.',
        'state',
      );
    }
    return complete(attempt, { code: parameters.code, iss: parameters.iss }, parameters.state);
  }

  async function findAttempt(siteId: string, id: string): Promise<AttemptRow | null> {
    const attempt = await db.authAttempt.findUnique({ where: { id } });
    return attempt && attempt.siteId === siteId ? attempt : null;
  }

  /**
   * Long-poll: resolves when the attempt settles, expires, or waitSeconds pass. An attempt of the
   * other kind of service (authAttempt vs customAuthAttempt) is refused, naming the right query.
   */
  async function waitForAttempt(
    siteId: string,
    id: string,
    waitSeconds: number,
    signal?: AbortSignal,
    kind: 'catalog' | 'custom' = 'catalog',
  ): Promise<AttemptRow | null> {
    if (!Number.isInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > MAX_WAIT_SECONDS) {
      throw badUserInput(`waitSeconds must be a whole number from 0 to ${MAX_WAIT_SECONDS}.`, 'waitSeconds');
    }
    const deadline = Date.now() + waitSeconds * 1000;
    let attempt = await findAttempt(siteId, id);
    if (attempt && familyOf(attempt.service) !== kind) {
      throw badUserInput(
        kind === 'custom' ? 'This attempt is for a catalog service: poll it with authAttempt.' : 'This attempt is for a custom service: poll it with customAuthAttempt.',
        'id',
      );
    }
    while (attempt && attemptStatus(attempt) === 'PENDING' && Date.now() < deadline && !signal?.aborted) {
      const until = Math.min(deadline, attempt.expiresAt.getTime());
      // Another instance may complete it: wake up at least once a second to re-read.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          settled.off(id, done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, Math.min(1000, until - Date.now())));
        settled.on(id, done);
        signal?.addEventListener('abort', done);
      });
      attempt = await findAttempt(siteId, id);
    }
    return attempt;
  }

  /** Whether another live connection uses the same account at the provider. */
  async function sharesProviderAccount(row: ConnectionRow): Promise<boolean> {
    if (!row.foreignUserId) return false;
    const others = await db.connection.count({
      where: { service: row.service, foreignUserId: row.foreignUserId, id: { not: row.id }, status: { not: 'REVOKED' } },
    });
    return others > 0;
  }

  /** Signs the owner out of one account of a service (default: the account reads would use); null when there was nothing to sign out. */
  async function signOut(owner: Owner | string, service: ServiceKey, account?: string | null): Promise<RevocationStatus | null> {
    const resolved = typeof owner === 'string' ? siteOwner(owner) : owner;
    const row = await deps.store.find(resolved, service, account);
    return row ? disconnect(row) : null;
  }

  /**
   * Revokes one connection at the provider where supported (queued for retries when the provider
   * fails transiently), and forgets its tokens at once; says what happened at the provider, or
   * null when the connection held no tokens any more.
   */
  async function disconnect(row: ConnectionRow): Promise<RevocationStatus | null> {
    if (!row.accessToken) return null;
    const siteId = row.siteId;
    const service = row.service as ServiceKey;
    const { status, reason } = await deps.revocations.revokeAtSignOut(
      row,
      { accessToken: deps.store.accessTokenOf(row) ?? undefined, refreshToken: deps.store.refreshTokenOf(row) ?? undefined, foreignUserId: row.foreignUserId },
      // Deauthorizing a Stripe account detaches it from the platform, for every site that uses it.
      async () => !((await deps.apps.clientFor(siteId, service))?.provider.revocation === 'stripe-deauthorize' && (await sharesProviderAccount(row))),
    );
    if (!(await deps.store.forget(row))) return status; // reconnected meanwhile: the new tokens stay
    await deps.audit({
      type: 'connection.revoked',
      siteId,
      service,
      connectionId: row.id,
      detail: { revokedAtProvider: status === 'REVOKED', revocation: status, ...(status === 'REVOKED' ? {} : { reason: reason ?? null }) },
    });
    return status;
  }

  return { start, launch, completeCallback, finish, findAttempt, waitForAttempt, signOut, disconnect, confirmEndUser };
}

export type AuthorizationFlow = ReturnType<typeof createAuthorizationFlow>;
