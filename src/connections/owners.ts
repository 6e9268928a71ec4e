// Who a connection belongs to: the site itself, or one of its end users (named in the site's own
// namespace), and which of the owner's accounts at the provider it is.
import { badUserInput } from '../errors.js';

export type OwnerType = 'SITE' | 'END_USER';

/** The site, or one end user of it. */
export interface Owner {
  siteId: string;
  ownerType: OwnerType;
  /** The end user's name; "" for the site. */
  ownerId: string;
}

/** The account of a provider that reports no user id. */
export const DEFAULT_ACCOUNT = 'default';

const END_USER_PATTERN = /^[A-Za-z0-9._:@+|-]{1,128}$/;
export const END_USER_RULE = '1 to 128 characters of A-Z a-z 0-9 . _ : @ + | -';

export const siteOwner = (siteId: string): Owner => ({ siteId, ownerType: 'SITE', ownerId: '' });

/** Checks an endUser argument; BAD_USER_INPUT names the rule. */
export function validEndUser(value: string, field = 'endUser'): string {
  if (!END_USER_PATTERN.test(value)) {
    throw badUserInput(`${field} must be ${END_USER_RULE} (e.g. "user-42" or "alice@example.com"); got ${JSON.stringify(value.slice(0, 40))}${value.length > 40 ? '…' : ''}.`, field);
  }
  return value;
}

export function endUserOwner(siteId: string, endUser: string): Owner {
  return { siteId, ownerType: 'END_USER', ownerId: validEndUser(endUser) };
}

/** The owner an optional endUser names: null or omitted is the site. */
export function ownerOf(siteId: string, endUser: string | null | undefined): Owner {
  return endUser === null || endUser === undefined ? siteOwner(siteId) : endUserOwner(siteId, endUser);
}

/** The endUser a row or attempt belongs to; null for the site's own. */
export function endUserOf(row: { ownerType: string; ownerId: string }): string | null {
  return row.ownerType === 'END_USER' ? row.ownerId : null;
}

/** The account key of an authorization: the provider's user id, or "default". */
export function accountOf(foreignUserId: string | null | undefined): string {
  return foreignUserId ? foreignUserId : DEFAULT_ACCOUNT;
}

export const ownerKey = (owner: Owner): string => `${owner.siteId}\u0000${owner.ownerType}\u0000${owner.ownerId}`;
