// The site's part in an MCP client's OAuth sign-in: its login page, knowing who is logged in, vouches
// for that end user with its site token and sends the browser on to the gateway's consent page.
import { builder } from '../builder.js';
import { siteIdOf } from '../context.js';

const CreateMcpLoginAssertionInput = builder.inputType('CreateMcpLoginAssertionInput', {
  fields: (t) => ({
    requestId: t.id({ required: true, description: 'The latchkey_mcp_request parameter the gateway added to your mcpLoginUrl.' }),
    endUser: t.string({ required: true, description: "Your name for the person who is logged in: the MCP client's token acts as this end user only." }),
  }),
});

const McpLoginAssertion = builder.objectRef<{ redirectUrl: string; expiresAt: Date }>('McpLoginAssertion').implement({
  description: 'Where to send the browser next: the gateway\'s consent page, with a one-time assertion bound to that browser.',
  fields: (t) => ({
    redirectUrl: t.exposeString('redirectUrl', { description: 'Redirect the browser here (HTTP 302/303). Usable once, by the browser that started the sign-in.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
  }),
});

builder.mutationFields((t) => ({
  createMcpLoginAssertion: t.field({
    type: McpLoginAssertion,
    authScopes: { siteOwner: true },
    description: "Site token only: say who is signed in for an MCP client's sign-in that reached your mcpLoginUrl.",
    args: { input: t.arg({ type: CreateMcpLoginAssertionInput, required: true }) },
    resolve: (_root, { input }, context) =>
      context.services.mcpAuthorization.createLoginAssertion(siteIdOf(context), String(input.requestId), input.endUser),
  }),
  revokeMcpSignIns: t.int({
    authScopes: { siteOwner: true },
    description: 'Site token only: end every MCP client sign-in of one end user at once (their access and refresh tokens stop working). Answers how many sign-ins were ended.',
    args: { endUser: t.arg.string({ required: true }) },
    resolve: (_root, { endUser }, context) => context.services.mcpAuthorization.revokeEndUser(siteIdOf(context), endUser),
  }),
}));
