import * as assert from 'node:assert/strict';
import { APIConnectionError, APIError } from '@anthropic-ai/sdk';
import { platformProblem } from '../../src/core/platformErrors';

function wrapped(message: string, causeMessage: string): APIConnectionError {
  return new APIConnectionError({ message, cause: new Error(causeMessage) });
}

suite('Platform problems in the user\'s terms', () => {
  test('an expired AWS SSO session says to run aws sso login', () => {
    const error = wrapped('Failed to resolve AWS credentials from the credential provider chain.', 'The SSO session associated with this profile has expired. To refresh this SSO session run aws sso login with the corresponding profile.');
    assert.deepEqual(platformProblem(error)?.kind, 'ssoExpired');
    assert.match(platformProblem(error)?.message ?? '', /aws sso login/);
  });

  test('no AWS credentials, no Google ADC and no Entra sign-in are each named', () => {
    assert.equal(platformProblem(wrapped('Failed to resolve AWS credentials from the credential provider chain.', 'Could not load credentials from any providers'))?.kind, 'noCredentials');
    const google = platformProblem(wrapped('Failed to acquire Google OAuth credentials.', 'Could not load the default credentials.'));
    assert.deepEqual([google?.kind, /gcloud auth application-default login/.test(google?.message ?? '')], ['noCredentials', true]);
    assert.equal(platformProblem(new Error('Failed to get token from azureADTokenProvider: EnvironmentCredential is unavailable'))?.kind, 'noCredentials');
  });

  test('a model not enabled, a region that does not serve it and rejected keys are told apart', () => {
    const headers = new Headers();
    const denied = APIError.generate(403, { message: "You don't have access to the model with the specified model ID." }, undefined, headers);
    assert.equal(platformProblem(denied)?.kind, 'modelNotEnabled');
    const region = APIError.generate(400, { message: 'The provided model identifier is invalid.' }, undefined, headers);
    assert.equal(platformProblem(region)?.kind, 'wrongRegion');
    const signature = APIError.generate(403, { message: 'The request signature we calculated does not match the signature you provided.' }, undefined, headers);
    assert.equal(platformProblem(signature)?.kind, 'badCredentials');
    const deployment = APIError.generate(404, { error: { code: 'DeploymentNotFound', message: 'The API deployment for this resource does not exist.' } }, undefined, headers);
    assert.equal(platformProblem(deployment)?.kind, 'modelNotEnabled');
  });

  test('ordinary API errors are left to the general classifier', () => {
    assert.equal(platformProblem(APIError.generate(429, { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }, undefined, new Headers())), undefined);
    assert.equal(platformProblem(new Error('')), undefined);
  });
});
