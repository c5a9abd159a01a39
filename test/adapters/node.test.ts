import { nodeApp } from './apps.js';
import { adapterScenarios } from './scenarios.js';

adapterScenarios('node:http', nodeApp);
