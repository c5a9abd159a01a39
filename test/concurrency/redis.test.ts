import { randomBytes } from 'node:crypto';
import { requireService } from '../helpers/services.js';
import { redisReachable, redisStoreFixtures } from '../stores/redis-helpers.js';
import { concurrencyScenarios } from './scenarios.js';

const PREFIX = `latchkey-test:concurrency:${randomBytes(4).toString('hex')}:`;

const skip = await requireService('Redis', redisReachable);

for (const fixture of redisStoreFixtures(PREFIX)) {
  concurrencyScenarios(`redis (${fixture.client})`, { skip, ...fixture });
}
