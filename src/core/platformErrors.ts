// Tells apart why a cloud platform refused Marathon (no credentials, an expired SSO session, a region
// that does not serve the model, a model not enabled in the account) and says it in one sentence with
// the fix. Duck-typed over the SDK's errors and their `cause` chain, so core needs no SDK import.

export type PlatformProblemKind = 'noCredentials' | 'ssoExpired' | 'badCredentials' | 'wrongRegion' | 'modelNotEnabled';

export interface PlatformProblem {
  kind: PlatformProblemKind;
  message: string;
}

interface ErrorLike {
  status?: unknown;
  message?: unknown;
  cause?: unknown;
  error?: unknown;
  code?: unknown;
}

/** Every message along the `cause` chain (credential failures arrive wrapped in a connection error). */
function messages(raw: unknown): string[] {
  const out: string[] = [];
  let current: unknown = raw;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const error = current as ErrorLike;
    if (typeof error.message === 'string') {
      out.push(error.message);
    }
    if (typeof error.code === 'string') {
      out.push(error.code);
    }
    current = error.cause;
  }
  return out;
}

function statusOf(raw: unknown): number | undefined {
  const status = typeof raw === 'object' && raw !== null ? (raw as ErrorLike).status : undefined;
  return typeof status === 'number' ? status : undefined;
}

/** The platform's reason for an error, or undefined when it is not one of the platform problems. */
export function platformProblem(raw: unknown): PlatformProblem | undefined {
  const text = messages(raw).join('\n');
  if (text === '') {
    return undefined;
  }
  const status = statusOf(raw);
  // AWS SSO: the token cache under ~/.aws/sso/cache is past its expiry or missing.
  // Every SSO failure of the AWS providers ends with "To refresh this SSO session run 'aws sso login'".
  if (/SSO session (associated with this profile )?(has expired|is invalid)|SSO session token associated with profile|Token is expired|refresh this SSO session/i.test(text)) {
    return { kind: 'ssoExpired', message: 'Your AWS SSO session has expired. Run “aws sso login” (with “--profile” if you use one), then try again.' };
  }
  if (/Could not load credentials from any providers|Failed to resolve AWS credentials/i.test(text)) {
    return {
      kind: 'noCredentials',
      message:
        'No AWS credentials were found. Sign in with “aws sso login” or “aws configure”, set marathon.bedrock.profile (or AWS_PROFILE), or run “Marathon: Select Provider” to use a Bedrock API key.',
    };
  }
  if (/Profile \S+ was not found|could not be found in shared credentials file/i.test(text)) {
    return { kind: 'noCredentials', message: 'The AWS profile in marathon.bedrock.profile is not in your AWS config. Check the name, or leave it empty for the default chain.' };
  }
  if (/Could not load the default credentials|Failed to acquire Google OAuth credentials/i.test(text)) {
    return { kind: 'noCredentials', message: 'No Google Application Default Credentials were found. Run “gcloud auth application-default login”, then try again.' };
  }
  if (/azureADTokenProvider|CredentialUnavailableError|DefaultAzureCredential/i.test(text)) {
    return {
      kind: 'noCredentials',
      message: 'No Microsoft Entra ID sign-in was found. Run “az login”, or run “Marathon: Select Provider” to use a Foundry API key instead.',
    };
  }
  if (status === undefined) {
    return undefined;
  }
  // Bedrock: AccessDeniedException; Vertex AI: PERMISSION_DENIED on the publisher model.
  if (status === 403 && /have access to the model|not have access to (the )?(publisher )?model|model access|not enabled|PERMISSION_DENIED.*model/i.test(text)) {
    return { kind: 'modelNotEnabled', message: 'This model is not enabled for your account. Enable it in the platform console (Bedrock: Model access; Vertex AI: Model Garden), or choose another model.' };
  }
  // Foundry: the deployment name is the model setting.
  if (status === 404 && /DeploymentNotFound|deployment .*does not exist/i.test(text)) {
    return { kind: 'modelNotEnabled', message: 'This Foundry resource has no deployment with that name. Deploy the model in Foundry, or set marathon.foundry.model to the deployment name.' };
  }
  // Bedrock answers an id it does not serve in this region with a ValidationException; Vertex AI with a
  // 404 naming the location.
  if (
    (status === 400 && /provided model identifier is invalid|not (supported|available) in (this|the) region|isn't supported in this region/i.test(text)) ||
    (status === 404 && /Publisher Model .* not found|locations\/[^/\s]+\/publishers/i.test(text))
  ) {
    return { kind: 'wrongRegion', message: 'This model is not served in the chosen region. Choose a region that offers it (or an inference profile such as “us.” or “global.”).' };
  }
  if ((status === 401 || status === 403) && /security token included in the request is invalid|signature we calculated does not match|UnrecognizedClient|expired token|ExpiredToken/i.test(text)) {
    return { kind: 'badCredentials', message: 'AWS refused the credentials: they are invalid or expired. Refresh them (“aws sso login”, “aws configure”), then try again.' };
  }
  if (status === 401 && /UNAUTHENTICATED|invalid authentication credentials|OAuth/i.test(text)) {
    return { kind: 'badCredentials', message: 'Google refused the credentials. Run “gcloud auth application-default login”, then try again.' };
  }
  return undefined;
}
