// Add File to Chat, Add Selection to Chat, Explain Selection and Fix This Problem. Each opens the
// chat and does its job there: attaching shows a chip above the prompt, explain and fix send a
// message with the attachment. A refused attachment says why, and offers the first part of a file
// that is over the size limit.
import * as vscode from 'vscode';
import { formatBytes } from '../../core/attachments';
import type { Logger } from '../../core/ports';
import { CHAT_VIEW_ID } from '../chatViewProvider';
import type { ChatController } from '../controller';
import { workspaceLocation } from './reader';
import type { AttachResult, ContextService, DiagnosticLike } from './service';

const EXPLAIN_PROMPT = 'Explain this code: what it does, how it works, and anything surprising in it.';

function fixPrompt(where: string, diagnostic: DiagnosticLike): string {
  return (
    `Fix this problem in ${where} (line ${diagnostic.range.start.line + 1}): ${diagnostic.message.split('\n')[0]}\n` +
    'Reply with the fix as a unified diff in a ```diff block that I can apply to the file, then explain it in a sentence or two.'
  );
}

export function registerContextCommands(controller: ChatController, context: ContextService, logger: Logger): vscode.Disposable[] {
  const conversationId = async () => (await controller.activeSession()).id;

  /** Shows why an attachment was refused; for a file over the limit, offers its first part. */
  const report = (result: AttachResult, retry: () => Promise<AttachResult>): AttachResult => {
    if (!result.ok) {
      const action = result.problem.canTruncate ? `Attach First ${formatBytes(readMax())}` : undefined;
      void vscode.window.showWarningMessage(`Marathon: ${result.problem.message}`, ...(action ? [action] : [])).then(async (choice) => {
        if (choice !== undefined && choice === action) {
          report(await retry(), retry);
        }
      });
    }
    return result;
  };

  return [
    vscode.commands.registerCommand('marathon.addFileToChat', async (clicked?: unknown, selected?: unknown): Promise<AttachResult[]> => {
      // The explorer passes the clicked item and the whole selection; an editor passes its file.
      const uris = (Array.isArray(selected) && selected.every((item) => item instanceof vscode.Uri) && selected.length > 0
        ? (selected)
        : clicked instanceof vscode.Uri
          ? [clicked]
          : [vscode.window.activeTextEditor?.document.uri].filter((uri): uri is vscode.Uri => uri !== undefined));
      if (uris.length === 0) {
        void vscode.window.showInformationMessage('Marathon: open a file, or choose one in the Explorer, to add it to the chat.');
        return [];
      }
      await focusChat();
      const id = await conversationId();
      const results: AttachResult[] = [];
      for (const uri of uris) {
        results.push(report(await context.attachUri(id, uri), () => context.attachUri(id, uri, true)));
      }
      return results;
    }),
    vscode.commands.registerCommand('marathon.addSelectionToChat', async (uri?: unknown, range?: unknown): Promise<AttachResult | undefined> => {
      const target = selectionTarget(uri, range);
      if (!target) {
        void vscode.window.showInformationMessage('Marathon: select some code first.');
        return undefined;
      }
      await focusChat();
      const id = await conversationId();
      return report(await context.attachSelection(id, target.document, target.ranges), () => context.attachSelection(id, target.document, target.ranges, true));
    }),
    vscode.commands.registerCommand('marathon.explainSelection', async (uri?: unknown, range?: unknown): Promise<AttachResult | undefined> => {
      const target = selectionTarget(uri, range);
      if (!target) {
        void vscode.window.showInformationMessage('Marathon: select the code to explain first.');
        return undefined;
      }
      await focusChat();
      const id = await conversationId();
      const explain = async (truncate: boolean) => {
        const result = await context.attachSelection(id, target.document, target.ranges, truncate);
        if (result.ok) {
          await controller.send(EXPLAIN_PROMPT);
        }
        return result;
      };
      return report(await explain(false), () => explain(true));
    }),
    vscode.commands.registerCommand('marathon.fixProblem', async (uri?: unknown, diagnostic?: unknown): Promise<AttachResult | undefined> => {
      const target = problemTarget(uri, diagnostic);
      if (!target) {
        void vscode.window.showInformationMessage('Marathon: there is no problem at the cursor to fix.');
        return undefined;
      }
      await focusChat();
      const id = await conversationId();
      const result = await context.attachDiagnostic(id, target.uri, target.diagnostic);
      if (result.ok) {
        const where = workspaceLocation(target.uri);
        logger.info(`[Context] fixing a ${vscode.DiagnosticSeverity[target.diagnostic.severity]?.toLowerCase() ?? 'problem'} with Marathon`);
        await controller.send(fixPrompt(where ? where.path : target.uri.path, target.diagnostic));
      }
      return report(result, () => context.attachDiagnostic(id, target.uri, target.diagnostic));
    }),
  ];
}

function readMax(): number {
  return vscode.workspace.getConfiguration('marathon').get<number>('context.maxFileBytes', 256 * 1024);
}

async function focusChat(): Promise<void> {
  await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
}

/** The code to attach: the range a code action passes, else the active editor's selections. */
function selectionTarget(uri: unknown, range: unknown): { document: vscode.TextDocument; ranges: vscode.Range[] } | undefined {
  if (uri instanceof vscode.Uri && range instanceof vscode.Range && !range.isEmpty) {
    const document = vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === uri.toString());
    if (document) {
      return { document, ranges: [range] };
    }
  }
  const editor = vscode.window.activeTextEditor;
  const ranges = editor?.selections.filter((selection) => !selection.isEmpty) ?? [];
  return editor && ranges.length > 0 ? { document: editor.document, ranges } : undefined;
}

/** The problem to fix: the one a quick fix passes, else the most severe one at the cursor. */
function problemTarget(uri: unknown, diagnostic: unknown): { uri: vscode.Uri; diagnostic: DiagnosticLike } | undefined {
  if (uri instanceof vscode.Uri && isDiagnosticLike(diagnostic)) {
    return { uri, diagnostic };
  }
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    return undefined;
  }
  const line = editor.selection.active.line;
  const atCursor = vscode.languages
    .getDiagnostics(editor.document.uri)
    .filter((candidate) => candidate.range.start.line <= line && candidate.range.end.line >= line)
    .sort((a, b) => a.severity - b.severity);
  const first = atCursor[0];
  return first ? { uri: editor.document.uri, diagnostic: first } : undefined;
}

function isDiagnosticLike(value: unknown): value is DiagnosticLike {
  const candidate = value as Partial<DiagnosticLike> | null;
  return typeof candidate === 'object' && candidate !== null && candidate.range instanceof vscode.Range && typeof candidate.message === 'string' && typeof candidate.severity === 'number';
}
