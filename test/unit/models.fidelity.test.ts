// The Models API as the host reads it: on-demand compaction support comes from
// `capabilities.compaction.summarize`, which the API reports to a request with the on-demand beta header.
import * as assert from 'node:assert/strict';
import { createClient } from '../../src/core/client';
import { silentLogger } from '../../src/core/ports';
import { ModelCapabilities } from '../../src/host/backend/models';
import { startEmulator, type EmulatorHandle } from '../emulator/server';

suite('Model capabilities from the Models API', () => {
  let emulator: EmulatorHandle;
  suiteSetup(async () => {
    emulator = await startEmulator();
  });
  suiteTeardown(() => emulator.close());

  test('#6 Haiku has no on-demand compaction; the probe asks with the beta header', async () => {
    const models = new ModelCapabilities(silentLogger, () => undefined);
    const client = await createClient({ apiKey: 'test-key', baseURL: emulator.url });
    await models.probe(client, 'claude-haiku-5-5');
    await models.probe(client, 'claude-sonnet-5-5');
    assert.equal(models.onDemandSupported('claude-haiku-5-5'), false);
    assert.equal(models.onDemandSupported('claude-sonnet-5-5'), true);
    assert.equal(models.compactionSupported('claude-haiku-5-5'), true, 'threshold compaction stays');
  });
});
