import { memoryStore } from '../../src/stores/memory.js';
import { concurrencyScenarios } from './scenarios.js';

concurrencyScenarios('memory', { setup: () => memoryStore() });
