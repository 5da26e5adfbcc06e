// The lightbulb entries: "Fix with Marathon" on each diagnostic, "Explain with Marathon" and "Ask
// Marathon about this" on a selection. Computing them is cheap by design: no I/O, no network, only
// the range and diagnostics VS Code passes in; the work happens when the user picks one.
import * as vscode from 'vscode';

const EXPLAIN_KIND = vscode.CodeActionKind.RefactorRewrite.append('marathon');
/** Diagnostics offered a fix at one position at most, so a noisy line does not flood the menu. */
const MAX_FIXES = 3;

export class MarathonCodeActions implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, EXPLAIN_KIND],
  };

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    const wants = (kind: vscode.CodeActionKind) => !context.only || context.only.contains(kind) || kind.contains(context.only);
    if (wants(vscode.CodeActionKind.QuickFix)) {
      for (const diagnostic of context.diagnostics.slice(0, MAX_FIXES)) {
        const action = new vscode.CodeAction(
          context.diagnostics.length > 1 ? `Fix with Marathon: ${truncate(diagnostic.message, 60)}` : 'Fix with Marathon',
          vscode.CodeActionKind.QuickFix,
        );
        action.diagnostics = [diagnostic];
        action.command = { command: 'marathon.fixProblem', title: 'Fix with Marathon', arguments: [document.uri, diagnostic] };
        actions.push(action);
      }
    }
    if (!range.isEmpty && wants(EXPLAIN_KIND)) {
      const explain = new vscode.CodeAction('Explain with Marathon', EXPLAIN_KIND);
      explain.command = { command: 'marathon.explainSelection', title: 'Explain with Marathon', arguments: [document.uri, range] };
      const ask = new vscode.CodeAction('Ask Marathon about this', EXPLAIN_KIND);
      ask.command = { command: 'marathon.addSelectionToChat', title: 'Ask Marathon about this', arguments: [document.uri, range] };
      actions.push(explain, ask);
    }
    return actions;
  }
}

function truncate(text: string, max: number): string {
  const line = text.split('\n')[0] ?? text;
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
