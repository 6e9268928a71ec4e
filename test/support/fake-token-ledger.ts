// What both provider fakes keep about the tokens they issued, and the test controls over them:
// which tokens exist, expiring or invalidating them, faults queued for the token endpoint, and
// what each token request looked like.

/** What a token request looked like, without any secret in it. */
export interface FakeTokenRequestRecord {
  grantType: string | undefined;
  accept: string | undefined;
  contentType: string | undefined;
  clientAuth: 'basic' | 'body' | 'none';
  hasCodeVerifier: boolean;
  hasRedirectUri: boolean;
}

export interface LedgerToken {
  accessToken: string;
  refreshToken?: string;
  expiresAt?: number;
  active: boolean;
  refreshActive: boolean;
}

export type BaseTokenFault = { kind: 'status'; status: number } | { kind: 'hang' };

export class FakeTokenLedger<Token extends LedgerToken, Fault extends { kind: string }> {
  /** Every token issued, oldest first. */
  readonly issuedTokens: Token[] = [];
  /** @internal */ readonly faults: Array<BaseTokenFault | Fault> = [];
  /** Every POST to the token endpoint, whatever its grant or outcome. */
  tokenRequests = 0;
  codeExchanges = 0;
  refreshRequests = 0;
  clientCredentialsRequests = 0;
  readonly tokenRequestLog: FakeTokenRequestRecord[] = [];
  /** Lifetime of the access tokens issued from now on; undefined: the provider's usual one. */
  accessTokenLifetimeSeconds: number | undefined;
  /** Each token answer is sent this much later, as a distant provider would (benchmarks). */
  tokenResponseDelayMs = 0;

  /** Logs a token request and counts it under `grantType` (the fake's reading of it, default the one it named). */
  recordTokenRequest(record: FakeTokenRequestRecord, grantType = record.grantType): void {
    this.tokenRequestLog.push(record);
    if (grantType === 'refresh_token') this.refreshRequests += 1;
    else if (grantType === 'authorization_code') this.codeExchanges += 1;
    else if (grantType === 'client_credentials') this.clientCredentialsRequests += 1;
  }

  get lastToken(): Token | undefined {
    return this.issuedTokens.at(-1);
  }

  /** The next token request answers `status` (default 500) with the provider's HTML error page. */
  failNextTokenRequest(status = 500): void {
    this.faults.push({ kind: 'status', status });
  }

  /** The next token request is never answered (until `close()`), for timeout tests. */
  hangNextTokenRequest(): void {
    this.faults.push({ kind: 'hang' });
  }

  /** The access token stops working: the API answers 401 as for an expired token. */
  expireAccessToken(accessToken: string): void {
    const token = this.findByAccessToken(accessToken);
    if (token) token.expiresAt = Date.now() - 1;
  }

  /** The access token is no longer recognised (revoked): the API answers 401. */
  invalidateAccessToken(accessToken: string): void {
    const token = this.findByAccessToken(accessToken);
    if (token) token.active = false;
  }

  expireAllAccessTokens(): void {
    for (const token of this.issuedTokens) token.expiresAt = Date.now() - 1;
  }

  /** Refreshing with this refresh token is refused (every record carrying it: kept refresh tokens span several). */
  invalidateRefreshToken(refreshToken: string): void {
    for (const token of this.issuedTokens) if (token.refreshToken === refreshToken) token.refreshActive = false;
  }

  invalidateAllRefreshTokens(): void {
    for (const token of this.issuedTokens) token.refreshActive = false;
  }

  findByAccessToken(accessToken: string): Token | undefined {
    return this.issuedTokens.find((token) => token.accessToken === accessToken);
  }

  /** The newest record carrying this refresh token. */
  findByRefreshToken(refreshToken: string): Token | undefined {
    if (!refreshToken) return undefined;
    return this.issuedTokens.findLast((token) => token.refreshToken === refreshToken);
  }
}
