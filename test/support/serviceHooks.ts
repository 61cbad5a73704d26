import { stopAllServices, warmUp } from '../fixtures/services/testServices';

/**
 * Root hooks for the integration and e2e tiers: start the shared Neo4j and Redis once, in
 * parallel, before the first test; stop them after the last, even when tests failed.
 */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(300_000);
    await warmUp();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await stopAllServices();
  },
};
