import { honoApp } from './apps.js';
import { adapterScenarios } from './scenarios.js';

adapterScenarios('Hono on @hono/node-server', honoApp);
