// The form of an elicitation request in VS Code: the server's message first (Respond or Decline), then
// one input box or quick pick per field, pre-filled with its default; Escape cancels.
import * as vscode from 'vscode';
import { elicitationFields, parseFieldValue, type FieldValue } from './elicitation';

export type ElicitAnswer = { action: 'accept'; content: Record<string, FieldValue> } | { action: 'decline' } | { action: 'cancel' };

export async function showElicitForm(server: string, message: string, requestedSchema: unknown): Promise<ElicitAnswer> {
  const choice = await vscode.window.showInformationMessage(`Marathon: the MCP server "${server}" asks: ${message}`, { modal: true }, 'Respond', 'Decline');
  if (choice === 'Decline') {
    return { action: 'decline' };
  }
  if (choice !== 'Respond') {
    return { action: 'cancel' };
  }
  const content: Record<string, FieldValue> = {};
  for (const field of elicitationFields(requestedSchema)) {
    const title = `${server}: ${field.label}${field.required ? '' : ' (optional)'}`;
    let text: string | undefined;
    if (field.type === 'boolean' || field.options) {
      const options = field.type === 'boolean' ? ['yes', 'no'] : field.options!;
      const preferred = field.default === undefined ? undefined : field.type === 'boolean' ? (field.default ? 'yes' : 'no') : String(field.default);
      const ordered = preferred && options.includes(preferred) ? [preferred, ...options.filter((option) => option !== preferred)] : options;
      text = await vscode.window.showQuickPick(field.required ? ordered : [...ordered, ''], { title, placeHolder: field.description, ignoreFocusOut: true });
    } else {
      text = await vscode.window.showInputBox({
        title,
        prompt: field.description,
        value: field.default === undefined ? '' : String(field.default),
        ignoreFocusOut: true,
        validateInput: (value) => {
          const parsed = parseFieldValue(field, value);
          return parsed.ok ? undefined : parsed.message;
        },
      });
    }
    if (text === undefined) {
      return { action: 'cancel' };
    }
    const parsed = parseFieldValue(field, text);
    if (parsed.ok && parsed.value !== undefined) {
      content[field.name] = parsed.value;
    }
  }
  return { action: 'accept', content };
}
