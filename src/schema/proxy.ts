// `proxy(…)`: any request to a connected service's API through the gateway, which adds the
// credential. GET under Query; every method under Mutation.
import { builder } from '../builder.js';
import { proxyCall, type ProxyResponse } from '../proxy/proxy.js';

export const HttpMethodEnum = builder.enumType('HttpMethod', {
  description: 'The HTTP method of a proxied request.',
  values: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const,
});

const ProxyResponseRef = builder.objectRef<ProxyResponse>('ProxyResponse').implement({
  description: "The service's answer. Hop-by-hop and cookie headers are dropped; the credential is redacted wherever the service echoed it.",
  fields: (t) => ({
    status: t.exposeInt('status', { description: 'The HTTP status the service answered (a 404 or 422 is data, not an error).' }),
    headers: t.field({ type: 'JSON', description: 'Response headers by lower-case name.', resolve: (response) => response.headers }),
    json: t.field({ type: 'JSON', nullable: true, description: 'The body, when it is JSON.', resolve: (response) => response.json }),
    text: t.string({ nullable: true, description: 'The body, when it is not JSON.', resolve: (response) => response.text }),
  }),
});

const SERVICE_DESCRIPTION = 'A catalog key in lower case ("github") or "custom:<slug>".';
const PATH_DESCRIPTION = 'Relative to the service\'s API base URL, e.g. "/user/repos"; it can never reach another host.';

builder.queryField('proxy', (t) =>
  t.field({
    type: ProxyResponseRef,
    authScopes: { site: true },
    description: "GET a path of a connected service's API with the owner's credential (refreshed on a 401, rate limits honoured, unchanged answers revalidated with their ETag).",
    args: {
      service: t.arg.string({ required: true, description: SERVICE_DESCRIPTION }),
      endUser: t.arg.string({ required: false, description: "Whose connection: an end user of the site; omitted: the site's own (or the end user a token is bound to)." }),
      account: t.arg.string({ required: false, description: 'Which of the owner\'s accounts (its foreignUserId, or "default"); omitted: the most recent.' }),
      path: t.arg.string({ required: true, description: PATH_DESCRIPTION }),
      query: t.arg({ type: 'JSON', required: false, description: 'Query parameters: an object of strings, numbers, booleans or lists of them.' }),
      headers: t.arg({ type: 'JSON', required: false, description: 'Extra request headers; authorization, cookie, host and hop-by-hop headers are ignored.' }),
    },
    resolve: (_root, args, context) => proxyCall(context, { ...args, method: 'GET' }),
  }),
);

builder.mutationField('proxy', (t) =>
  t.field({
    type: ProxyResponseRef,
    authScopes: { site: true },
    description: "Any request to a path of a connected service's API with the owner's credential.",
    args: {
      service: t.arg.string({ required: true, description: SERVICE_DESCRIPTION }),
      endUser: t.arg.string({ required: false }),
      account: t.arg.string({ required: false }),
      method: t.arg({ type: HttpMethodEnum, required: true }),
      path: t.arg.string({ required: true, description: PATH_DESCRIPTION }),
      query: t.arg({ type: 'JSON', required: false }),
      headers: t.arg({ type: 'JSON', required: false }),
      body: t.arg({ type: 'JSON', required: false, description: 'Sent as JSON (Content-Type: application/json unless headers set one).' }),
      bodyText: t.arg.string({ required: false, description: 'Sent as given (Content-Type: text/plain unless headers set one).' }),
    },
    resolve: (_root, args, context) => proxyCall(context, args),
  }),
);
