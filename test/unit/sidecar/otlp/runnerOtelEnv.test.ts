import * as assert from 'node:assert/strict';
import { otelEnv } from '../../../../sidecar/runner/workflowRunner';

describe('OTLP runner environment (otelEnv)', () => {
  it('points the OTLP trace exporter at the sidecar with the token and tags the resource with the run id', () => {
    assert.deepEqual(otelEnv('http://127.0.0.1:7317/', 'tok en', 'run_1', {}, undefined), {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:7317/v1/traces',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'Authorization=Bearer%20tok%20en',
      OTEL_RESOURCE_ATTRIBUTES: 'runtrail.run.id=run_1',
    });
  });

  it('appends to an inherited OTEL_RESOURCE_ATTRIBUTES and leaves what the workflow sets itself', () => {
    assert.deepEqual(
      otelEnv('http://h:1', 't', 'run_2', {}, 'team=a,env=dev').OTEL_RESOURCE_ATTRIBUTES,
      'team=a,env=dev,runtrail.run.id=run_2',
    );
    const own = otelEnv(
      'http://h:1',
      't',
      'run_3',
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector/v1/traces', OTEL_RESOURCE_ATTRIBUTES: 'x=1' },
      'y=2',
    );
    assert.deepEqual(Object.keys(own), ['OTEL_EXPORTER_OTLP_TRACES_HEADERS']);
  });
});
