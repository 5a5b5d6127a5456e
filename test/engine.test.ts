// The whole-app files that vitest.config.ts lists in PG_WHOLE_APP run twice: here is the proof
// that the second run's gateways really are on PostgreSQL (and the first's on SQLite), so a
// broken switch cannot make both runs the same engine unnoticed.
import { describe, it, expect, inject } from 'vitest';
import { startGateway, TEST_ENGINE } from './helpers.ts';

describe('the engine under the whole-app tests', () => {
  it('is the one this vitest project names', async () => {
    const expected = inject('gatewayEngine') ?? 'sqlite';
    expect(TEST_ENGINE).toBe(expected);
    const gw = await startGateway({}, { listen: false });
    try {
      expect(gw.app.store.engine).toBe(expected);
    } finally {
      await gw.stop();
    }
  });
});
