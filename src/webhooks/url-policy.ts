// Where webhooks may be sent: the gateway's outbound URL rules, worded for webhook URLs.
import { checkOutboundUrl, type OutboundUrlPolicy } from '../net/outbound-url-policy.js';

export { BlockedAddressError, guardedLookup, isAllowedAddress } from '../net/outbound-url-policy.js';
export type WebhookUrlPolicy = OutboundUrlPolicy;

const webhookUrl = { label: 'The webhook url', field: 'url', purpose: 'send webhooks to' };

export function checkWebhookUrl(value: string, policy: WebhookUrlPolicy): URL {
  return checkOutboundUrl(value, policy, webhookUrl);
}
