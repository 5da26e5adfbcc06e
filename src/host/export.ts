// Export Conversation as Markdown: the whole transcript in an untitled editor the user can save,
// thinking left out unless `marathon.export.includeThinking` asks for it.
import * as vscode from 'vscode';
import type { ConversationRecord } from '../core/records';
import { loadEngine } from './engineLoader';

export interface ExportSource {
  title: string;
  records: readonly ConversationRecord[];
  /** Who answered, as the chat view names it. */
  speaker: string;
}

/** `marathon.export.includeThinking`: off unless the user turned it on (thinking is long and often private). */
export function exportIncludesThinking(): boolean {
  return vscode.workspace.getConfiguration('marathon').get<boolean>('export.includeThinking', false) === true;
}

/** Opens the transcript as Markdown in an editor, from where the user can save it. */
export async function openTranscript(source: ExportSource): Promise<void> {
  const { transcriptFileName, transcriptMarkdown } = await loadEngine();
  const content = transcriptMarkdown(source.title, source.records, { speaker: source.speaker, thinking: exportIncludesThinking() });
  // An untitled document with a path: Save suggests "<title>.md" in the workspace folder, not "# <title>" beside the active file.
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const document =
    folder === undefined
      ? await vscode.workspace.openTextDocument({ language: 'markdown', content })
      : await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, transcriptFileName(source.title)).with({ scheme: 'untitled' }));
  if (document.getText() !== content) {
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), content);
    await vscode.workspace.applyEdit(edit);
  }
  await vscode.window.showTextDocument(document, { preview: false });
}
