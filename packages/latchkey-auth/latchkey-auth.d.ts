// Types for latchkey-auth.js.

export type LatchkeyAuthErrorCode =
  | 'POPUP_BLOCKED'
  | 'POPUP_CLOSED'
  | 'ACCESS_DENIED'
  | 'TIMEOUT'
  | 'NETWORK_ERROR'
  | 'SITE_TOKEN_IN_BROWSER'
  | 'LATCHKEY_CONFIG_MISSING'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | (string & {});

export declare class LatchkeyAuthError extends Error {
  readonly code: LatchkeyAuthErrorCode;
  readonly service: string | undefined;
  readonly attemptId: string | undefined;
  /** The provider's OAuth error (e.g. "access_denied", "invalid_scope") when it refused. */
  readonly providerError: string | undefined;
  constructor(code: string, message: string, details?: { service?: string; attemptId?: string; providerError?: string });
}

export interface LatchkeyAuthOptions {
  /** Base URL of the Latchkey gateway, e.g. "https://latchkey.example.com". */
  gatewayUrl: string;
  /** A function token (lkf_…) minted by your backend; never the site token. */
  token: string;
  /** How long login() waits for the provider; default 5 minutes. */
  timeoutMs?: number;
  /** window.open features of the popup. */
  popupFeatures?: string;
}

export interface ServiceStatus {
  service: string;
  friendlyServiceName: string;
  isLoggedIn: boolean;
  grantedScopes: string[];
  foreignUserId: string | null;
  expiresAt: string | null;
}

export declare class LatchkeyAuth {
  readonly gatewayOrigin: string;
  readonly graphqlUrl: string;
  constructor(options: LatchkeyAuthOptions);
  /** Call directly from a click handler: the popup opens synchronously. */
  login(service: string, options?: { scopes?: string[]; timeoutMs?: number }): Promise<{ service: string; attemptId: string }>;
  isLoggedIn(service: string): Promise<boolean>;
  logout(service: string): Promise<void>;
  /** Keyed by the service's field name (github, spotify, …) and by slug for the site's custom services. */
  servicesStatus(): Promise<Record<string, ServiceStatus>>;
}

export default LatchkeyAuth;
