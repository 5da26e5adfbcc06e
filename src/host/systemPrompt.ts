// Marathon's system prompt: its own instructions, the workspace, and the project's rules. The system
// prompt is never summarized by compaction, so rules placed here survive hours of conversation.
import * as os from 'node:os';
import * as vscode from 'vscode';

const RULE_FILES = ['AGENTS.md', 'CLAUDE.md', '.marathon/rules.md'];
const MAX_RULES_BYTES = 32 * 1024;

const BASE_PROMPT = `You are Marathon, a coding assistant inside Visual Studio Code. You help one developer through a long working session.
Answer precisely and concisely. Use Markdown; put code in fenced blocks with a language tag. When you propose a change to a file, show the complete new code for the part that changes.
The conversation may be compacted: earlier parts can be replaced by a summary. Trust the summary, and ask when a detail you need is missing from it.`;

async function readRules(folder: vscode.WorkspaceFolder): Promise<string[]> {
  const found: string[] = [];
  for (const name of RULE_FILES) {
    const uri = vscode.Uri.joinPath(folder.uri, name);
    try {
      const bytes = await vscode.workspace.fs.readFile(uri);
      const text = new TextDecoder().decode(bytes.subarray(0, MAX_RULES_BYTES));
      found.push(`<project_rules file="${name}" folder="${folder.name}">\n${text.trim()}\n</project_rules>`);
    } catch {
      // Absent rule files are the common case.
    }
  }
  return found;
}

/** Rebuilt on each turn (rule files are tiny), so edits to the rules apply at once. */
export async function buildSystemPrompt(): Promise<string> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const workspace = folders.length > 0 ? folders.map((folder) => folder.name).join(', ') : '(no folder open)';
  const rules = (await Promise.all(folders.map(readRules))).flat();
  const parts = [BASE_PROMPT, `Workspace: ${workspace}. Operating system: ${os.type()} ${os.release()}.`];
  if (rules.length > 0) {
    parts.push('Follow these project rules:', ...rules);
  }
  return parts.join('\n\n');
}
