import { builder } from '../builder.js';
import './services.js';
import './secrets.js';
import './auth.js';
import './sites.js';
import './github.js';
import './spotify.js';
import './client-credentials.js';
import './custom-services.js';
import './tokens.js';
import './connect-page.js';
import './connections.js';
import './credentials.js';
import './webhooks.js';
import './proxy.js';
import './mcp-auth.js';

export const schema = builder.toSchema();
