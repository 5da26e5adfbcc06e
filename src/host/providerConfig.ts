// Reads `marathon.provider` and the chosen platform's settings (region, project, resource, endpoint,
// model), validated once here. Secrets never come from settings: Bedrock and Foundry keys live in
// SecretStorage (or the platforms' own environment variables), AWS and Google credentials in their
// own tools' chains.
import * as vscode from 'vscode';
import { DEFAULT_MODELS, DEFAULT_REGIONS, isProviderId, type ProviderId } from '../core/providers';
import type { SettingsProblem } from './config';

export type BedrockAuthentication = 'awsCredentials' | 'apiKey';
export type FoundryAuthentication = 'apiKey' | 'entraId';

export type ProviderSettings =
  | { provider: 'anthropic'; model: string }
  | { provider: 'bedrock'; model: string; region: string; profile: string; baseUrl: string; authentication: BedrockAuthentication }
  | { provider: 'vertex'; model: string; region: string; projectId: string; baseUrl: string }
  | { provider: 'foundry'; model: string; resource: string; baseUrl: string; authentication: FoundryAuthentication };

const MODEL_ID = /^[A-Za-z0-9._:@/-]+$/;
/** AWS region names (`us-east-1`, `us-gov-west-1`, `eu-central-2`). */
const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
/** Vertex AI locations: `global`, the multi-regions `us` and `eu`, or a region such as `us-east5`. */
const VERTEX_REGION = /^(global|us|eu|[a-z]+-[a-z]+\d+)$/;
/** Google project ids: 6-30 lowercase letters, digits and hyphens, starting with a letter. */
const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
/** A Foundry (Azure AI services) resource name. */
const RESOURCE = /^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/;

function text(config: vscode.WorkspaceConfiguration, key: string): string {
  const value = config.get<unknown>(key, '');
  return typeof value === 'string' ? value.trim() : '';
}

function url(config: vscode.WorkspaceConfiguration, key: string, problems: SettingsProblem[]): string {
  const value = text(config, key);
  if (!value) {
    return '';
  }
  try {
    const parsed = new URL(value);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') {
      return value;
    }
  } catch {
    // reported below
  }
  problems.push({ key: `marathon.${key}`, message: `"${value}" is not an http(s) URL; using the platform's endpoint.` });
  return '';
}

function model(config: vscode.WorkspaceConfiguration, provider: ProviderId, problems: SettingsProblem[]): string {
  const key = provider === 'anthropic' ? 'model' : `${provider}.model`;
  const value = text(config, key);
  if (value && MODEL_ID.test(value)) {
    return value;
  }
  if (value) {
    problems.push({ key: `marathon.${key}`, message: `"${value}" is not a model id; using ${DEFAULT_MODELS[provider]}.` });
  }
  return DEFAULT_MODELS[provider];
}

function matching(config: vscode.WorkspaceConfiguration, key: string, pattern: RegExp, fallback: string, what: string, problems: SettingsProblem[]): string {
  const value = text(config, key);
  if (!value || pattern.test(value)) {
    return value || fallback;
  }
  problems.push({ key: `marathon.${key}`, message: `"${value}" is not ${what}; ${fallback ? `using ${fallback}` : 'ignoring it'}.` });
  return fallback;
}

export function readProviderSettings(): { settings: ProviderSettings; problems: SettingsProblem[] } {
  const config = vscode.workspace.getConfiguration('marathon');
  const problems: SettingsProblem[] = [];
  const chosen = config.get<unknown>('provider', 'anthropic');
  if (!isProviderId(chosen)) {
    problems.push({ key: 'marathon.provider', message: `"${String(chosen)}" is not a provider; using anthropic.` });
  }
  const provider: ProviderId = isProviderId(chosen) ? chosen : 'anthropic';
  const chosenModel = model(config, provider, problems);
  switch (provider) {
    case 'anthropic':
      return { settings: { provider, model: chosenModel }, problems };
    case 'bedrock': {
      // Empty region: the AWS tools' own default (AWS_REGION), else us-east-1.
      const fallback = process.env.AWS_REGION?.trim() || process.env.AWS_DEFAULT_REGION?.trim() || DEFAULT_REGIONS.bedrock!;
      const region = matching(config, 'bedrock.region', AWS_REGION, fallback, 'an AWS region such as us-east-1', problems);
      const profile = matching(config, 'bedrock.profile', /^[A-Za-z0-9_.@+-]+$/, '', 'an AWS profile name', problems);
      const authentication: BedrockAuthentication = config.get<string>('bedrock.authentication', 'awsCredentials') === 'apiKey' ? 'apiKey' : 'awsCredentials';
      return { settings: { provider, model: chosenModel, region, profile, baseUrl: url(config, 'bedrock.baseUrl', problems), authentication }, problems };
    }
    case 'vertex': {
      const fallback = process.env.CLOUD_ML_REGION?.trim() || DEFAULT_REGIONS.vertex!;
      const region = matching(config, 'vertex.region', VERTEX_REGION, fallback, 'a Vertex AI location such as global or us-east5', problems);
      const projectId = matching(config, 'vertex.projectId', PROJECT_ID, '', 'a Google Cloud project id', problems);
      return { settings: { provider, model: chosenModel, region, projectId, baseUrl: url(config, 'vertex.baseUrl', problems) }, problems };
    }
    case 'foundry': {
      const resource = matching(config, 'foundry.resource', RESOURCE, '', 'a Foundry resource name', problems);
      const baseUrl = url(config, 'foundry.baseUrl', problems);
      const authentication: FoundryAuthentication = config.get<string>('foundry.authentication', 'apiKey') === 'entraId' ? 'entraId' : 'apiKey';
      if (!resource && !baseUrl && !process.env.ANTHROPIC_FOUNDRY_RESOURCE && !process.env.ANTHROPIC_FOUNDRY_BASE_URL) {
        problems.push({ key: 'marathon.foundry.resource', message: 'Set the Foundry resource name (or marathon.foundry.baseUrl) to use Microsoft Foundry.' });
      }
      return { settings: { provider, model: chosenModel, resource, baseUrl, authentication }, problems };
    }
  }
}

/** Where a conversation is served, in a few words: "Amazon Bedrock · us-east-1". */
export function regionOf(settings: ProviderSettings): string | undefined {
  switch (settings.provider) {
    case 'bedrock':
    case 'vertex':
      return settings.region;
    case 'foundry':
      return settings.resource || (settings.baseUrl ? new URL(settings.baseUrl).host : undefined);
    case 'anthropic':
      return undefined;
  }
}
