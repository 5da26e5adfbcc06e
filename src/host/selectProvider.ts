// `Marathon: Select Provider`: walks the user through choosing the Anthropic API, Amazon Bedrock,
// Google Vertex AI or Microsoft Foundry, writes the settings, keeps any key in SecretStorage, and checks
// the connection with one small request, naming what failed (no credentials, an expired SSO session, a
// region that does not serve the model, a model not enabled in the account).
import * as vscode from 'vscode';
import type { Logger } from '../core/ports';
import { DEFAULT_MODELS, DEFAULT_REGIONS, PROVIDER_IDS, PROVIDER_LABELS, isProviderId, type ProviderId } from '../core/providers';
import { loadEngine } from './engineLoader';
import { readProviderSettings, regionOf, type ProviderSettings } from './providerConfig';
import type { ProviderService } from './backend/providers';

/** A scripted choice (tests, other extensions): the same steps without the prompts. */
export interface ProviderChoice {
  provider: ProviderId;
  model?: string;
  region?: string;
  profile?: string;
  projectId?: string;
  resource?: string;
  baseUrl?: string;
  authentication?: string;
  /** A Bedrock or Foundry key, stored in SecretStorage, never in settings. */
  apiKey?: string;
}

export type ConnectionProblem = 'noCredentials' | 'ssoExpired' | 'badCredentials' | 'wrongRegion' | 'modelNotEnabled' | 'other';

export type SelectProviderResult =
  | { ok: true; message: string }
  | { ok: false; problem: ConnectionProblem; message: string }
  | { ok: false; problem: 'cancelled'; message: string };

const AUTH_CHOICES: Readonly<Record<'bedrock' | 'foundry', ReadonlyArray<{ id: string; label: string; detail: string }>>> = {
  bedrock: [
    { id: 'awsCredentials', label: 'AWS credentials', detail: 'The AWS credential chain: environment, profile, SSO (aws sso login), process, instance role' },
    { id: 'apiKey', label: 'Bedrock API key', detail: 'A long-term or short-term Bedrock API key, kept in VS Code’s secret storage' },
  ],
  foundry: [
    { id: 'apiKey', label: 'Foundry API key', detail: 'The key of your Foundry resource, kept in VS Code’s secret storage' },
    { id: 'entraId', label: 'Microsoft Entra ID', detail: 'Your Azure sign-in: environment, managed identity, Azure CLI (az login), Azure Developer CLI' },
  ],
};

export async function selectProvider(providers: ProviderService, logger: Logger, scripted?: ProviderChoice): Promise<SelectProviderResult> {
  const choice = scripted ?? (await askChoice(providers));
  if (!choice) {
    return { ok: false, problem: 'cancelled', message: 'No provider was chosen.' };
  }
  await writeSettings(choice);
  if (choice.apiKey && (choice.provider === 'bedrock' || choice.provider === 'foundry')) {
    await providers.storeSecret(choice.provider === 'bedrock' ? 'bedrockApiKey' : 'foundryApiKey', choice.apiKey);
  }
  providers.invalidate();
  const settings = readProviderSettings().settings;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Marathon: checking the connection to ${PROVIDER_LABELS[settings.provider]}…` },
    () => checkConnection(providers, settings),
  );
  logger.info(`[Provider] ${settings.provider} check: ${result.ok ? 'connected' : result.problem}`);
  if (scripted === undefined) {
    void report(result);
  }
  return result;
}

async function report(result: SelectProviderResult): Promise<void> {
  if (result.ok) {
    void vscode.window.showInformationMessage(`Marathon: ${result.message}`);
    return;
  }
  const choice = await vscode.window.showErrorMessage(`Marathon: ${result.message}`, 'Try Again', 'Open Settings');
  if (choice === 'Try Again') {
    await vscode.commands.executeCommand('marathon.selectProvider');
  } else if (choice === 'Open Settings') {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'marathon.provider');
  }
}

/** One small request with the chosen settings; the failure named in the user's terms. */
export async function checkConnection(providers: ProviderService, settings: ProviderSettings): Promise<SelectProviderResult> {
  const label = PROVIDER_LABELS[settings.provider];
  const where = regionOf(settings);
  const engine = await loadEngine();
  try {
    if (settings.provider === 'anthropic') {
      return { ok: true, message: `Marathon uses the Anthropic API with ${settings.model}.` };
    }
    const resolution = await providers.resolve(settings);
    if (!resolution.ok) {
      return { ok: false, problem: 'noCredentials', message: resolution.message };
    }
    await engine.checkPlatformConnection(resolution.config, settings.model);
    return { ok: true, message: `Connected to ${label}${where ? ` (${where})` : ''} with ${settings.model}.` };
  } catch (error) {
    const problem = engine.platformProblem(error);
    if (problem) {
      return { ok: false, problem: problem.kind, message: problem.message };
    }
    return { ok: false, problem: 'other', message: `${label} refused the check: ${engine.classifyError(error).message}` };
  }
}

async function writeSettings(choice: ProviderChoice): Promise<void> {
  const config = vscode.workspace.getConfiguration('marathon');
  const target = vscode.ConfigurationTarget.Global;
  const set = async (key: string, value: string | undefined): Promise<void> => {
    if (value !== undefined) {
      await config.update(key, value, target);
    }
  };
  await set('provider', choice.provider);
  const prefix = choice.provider === 'anthropic' ? '' : `${choice.provider}.`;
  await set(`${prefix}model`, choice.model);
  switch (choice.provider) {
    case 'anthropic':
      return;
    case 'bedrock':
      await set('bedrock.region', choice.region);
      await set('bedrock.profile', choice.profile);
      await set('bedrock.baseUrl', choice.baseUrl);
      await set('bedrock.authentication', choice.authentication ?? (choice.apiKey ? 'apiKey' : undefined));
      return;
    case 'vertex':
      await set('vertex.region', choice.region);
      await set('vertex.projectId', choice.projectId);
      await set('vertex.baseUrl', choice.baseUrl);
      return;
    case 'foundry':
      await set('foundry.resource', choice.resource);
      await set('foundry.baseUrl', choice.baseUrl);
      await set('foundry.authentication', choice.authentication ?? (choice.apiKey ? 'apiKey' : undefined));
      return;
  }
}

/**
 * How many steps the walkthrough has for a provider (and its sign-in), counting the provider itself, so
 * each step is titled "(2/5)". Foundry with Entra ID asks for no key; until the sign-in is chosen, the
 * longest path is shown.
 */
export function walkthroughSteps(provider: ProviderId, authentication?: string): number {
  switch (provider) {
    case 'anthropic':
      return 2; // provider, model
    case 'bedrock':
      return 5; // provider, sign-in, profile or key, region, model
    case 'vertex':
      return 4; // provider, project, location, model
    case 'foundry':
      return authentication === 'entraId' ? 4 : 5; // provider, resource, sign-in, [key], model
  }
}

/** "Marathon: Select Provider (2/5) · Amazon Bedrock". */
export function stepTitle(step: number, total: number, provider?: ProviderId): string {
  return `Marathon: Select Provider (${step}/${total})${provider ? ` · ${PROVIDER_LABELS[provider]}` : ''}`;
}

/** The walkthrough: provider, then each setting it needs, prefilled with the current values. */
async function askChoice(providers: ProviderService): Promise<ProviderChoice | undefined> {
  const current = providers.settings();
  const picked = await vscode.window.showQuickPick(
    (['anthropic', 'bedrock', 'vertex', 'foundry'] as const).map((id) => ({
      id,
      label: PROVIDER_LABELS[id],
      description: id === current.provider ? 'current' : undefined,
      detail: {
        anthropic: 'Your Anthropic API key',
        bedrock: 'Claude in your AWS account (InvokeModel); threshold compaction, no Compact Now',
        vertex: 'Claude in your Google Cloud project; Application Default Credentials',
        foundry: 'Claude in your Azure AI Foundry resource; a key or Microsoft Entra ID',
      }[id],
    })),
    // Before the provider is known, the longest path counts the steps; the next step counts its own.
    { title: stepTitle(1, Math.max(...PROVIDER_IDS.map((id) => walkthroughSteps(id)))), placeHolder: 'Where should Marathon reach Claude?', ignoreFocusOut: true },
  );
  if (!picked || !isProviderId(picked.id)) {
    return undefined;
  }
  const provider = picked.id;
  const same = current.provider === provider ? current : undefined;
  let step = 1;
  let total = walkthroughSteps(provider);
  const title = (): string => stepTitle(++step, total, provider);
  const ask = (prompt: string, value: string, placeHolder?: string, password = false): Thenable<string | undefined> =>
    vscode.window.showInputBox({ title: title(), prompt, value, placeHolder, password, ignoreFocusOut: true });
  const signIn = (platform: 'bedrock' | 'foundry') =>
    vscode.window.showQuickPick(AUTH_CHOICES[platform], { title: title(), placeHolder: 'How should Marathon sign in?', ignoreFocusOut: true });
  const choice: ProviderChoice = { provider };
  switch (provider) {
    case 'anthropic':
      break;
    case 'bedrock': {
      const bedrock = same?.provider === 'bedrock' ? same : undefined;
      const auth = await signIn('bedrock');
      if (!auth) {
        return undefined;
      }
      choice.authentication = auth.id;
      if (auth.id === 'apiKey') {
        choice.apiKey = (await ask('Paste your Bedrock API key. Marathon keeps it in VS Code’s secret storage.', '', 'ABSK…', true))?.trim();
        if (!choice.apiKey) {
          return undefined;
        }
      } else {
        const profile = await ask('AWS profile (empty: the default chain, AWS_PROFILE)', bedrock?.profile ?? '', 'default');
        if (profile === undefined) {
          return undefined;
        }
        choice.profile = profile.trim();
      }
      choice.region = (await ask('AWS region', bedrock?.region ?? DEFAULT_REGIONS.bedrock!, 'us-east-1'))?.trim();
      if (!choice.region) {
        return undefined;
      }
      break;
    }
    case 'vertex': {
      const vertex = same?.provider === 'vertex' ? same : undefined;
      const projectId = await ask('Google Cloud project id (empty: the project of your credentials)', vertex?.projectId ?? '', 'my-project');
      if (projectId === undefined) {
        return undefined;
      }
      choice.projectId = projectId.trim();
      choice.region = (await ask('Vertex AI location (global, us, eu or a region such as us-east5)', vertex?.region ?? DEFAULT_REGIONS.vertex!, 'global'))?.trim();
      if (!choice.region) {
        return undefined;
      }
      break;
    }
    case 'foundry': {
      const foundry = same?.provider === 'foundry' ? same : undefined;
      const resource = await ask('Foundry resource name (https://<resource>.services.ai.azure.com)', foundry?.resource ?? '', 'my-resource');
      if (!resource?.trim()) {
        return undefined;
      }
      choice.resource = resource.trim();
      const auth = await signIn('foundry');
      if (!auth) {
        return undefined;
      }
      choice.authentication = auth.id;
      total = walkthroughSteps(provider, auth.id);
      if (auth.id === 'apiKey') {
        choice.apiKey = (await ask('Paste your Foundry API key. Marathon keeps it in VS Code’s secret storage.', '', '', true))?.trim();
        if (!choice.apiKey) {
          return undefined;
        }
      }
      break;
    }
  }
  const modelHint: Readonly<Record<ProviderId, string>> = {
    anthropic: 'claude-sonnet-5-5',
    bedrock: 'A model id or inference profile: us.anthropic.claude-sonnet-5-5-v1:0, anthropic.claude-opus-5-5-v1, an ARN',
    vertex: 'A model id, optionally with a version: claude-sonnet-5-5 or claude-sonnet-5-5@20260801',
    foundry: 'The deployment name (by default the model id): claude-sonnet-5-5',
  };
  const model = await ask(`Model — ${modelHint[provider]}`, same?.model ?? DEFAULT_MODELS[provider]);
  if (!model?.trim()) {
    return undefined;
  }
  choice.model = model.trim();
  return choice;
}

export function registerProviderCommands(providers: ProviderService, logger: Logger): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('marathon.selectProvider', (choice?: unknown) =>
      selectProvider(providers, logger, isChoice(choice) ? choice : undefined),
    ),
  ];
}

function isChoice(value: unknown): value is ProviderChoice {
  return typeof value === 'object' && value !== null && isProviderId((value as { provider?: unknown }).provider);
}
