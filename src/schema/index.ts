import { builder } from '../builder.js';
import './services.js';
import './secrets.js';
import './auth.js';
import './sites.js';

export const schema = builder.toSchema();
