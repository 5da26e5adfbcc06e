// The webview's only channel to the host, plus the small UI state VS Code keeps across reloads.
import type { ToHost } from '../shared/protocol';

interface VsCodeApi {
  postMessage(message: ToHost): void;
  getState(): unknown;
  setState(state: unknown): unknown;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** Where the user was in the timeline, by item rather than pixels (item heights are estimated). */
export interface ScrollMemory {
  atBottom: boolean;
  anchorId?: string;
  /** Distance in pixels from the top of the viewport to the top of the anchor item. */
  offset?: number;
}

/** UI details only; the conversation itself always comes from the host. */
export interface UiState {
  draft: string;
  activeId?: string;
  scroll?: ScrollMemory;
  search: string;
  historyOpen: boolean;
}

const emptyUiState: UiState = { draft: '', search: '', historyOpen: false };

function readUiState(raw: unknown): UiState {
  if (typeof raw !== 'object' || raw === null) {
    return { ...emptyUiState };
  }
  const value = raw as Record<string, unknown>;
  const scroll = value.scroll as Record<string, unknown> | undefined;
  return {
    draft: typeof value.draft === 'string' ? value.draft : '',
    activeId: typeof value.activeId === 'string' ? value.activeId : undefined,
    search: typeof value.search === 'string' ? value.search : '',
    historyOpen: value.historyOpen === true,
    scroll:
      typeof scroll === 'object' && scroll !== null && typeof scroll.atBottom === 'boolean'
        ? {
            atBottom: scroll.atBottom,
            anchorId: typeof scroll.anchorId === 'string' ? scroll.anchorId : undefined,
            offset: typeof scroll.offset === 'number' ? scroll.offset : undefined,
          }
        : undefined,
  };
}

const api = acquireVsCodeApi();

export function post(message: ToHost): void {
  api.postMessage(message);
}

let uiState: UiState = readUiState(api.getState());
let saveTimer: ReturnType<typeof setTimeout> | undefined;

export function getUiState(): Readonly<UiState> {
  return uiState;
}

/** Merges a change into the UI state; writes are batched because drafts change on every key. */
export function updateUiState(change: Partial<UiState>): void {
  uiState = { ...uiState, ...change };
  if (saveTimer === undefined) {
    saveTimer = setTimeout(() => {
      saveTimer = undefined;
      api.setState(uiState);
    }, 200);
  }
}

/** Writes pending UI state now (the view may be disposed as soon as it is hidden). */
export function flushUiState(): void {
  if (saveTimer !== undefined) {
    clearTimeout(saveTimer);
    saveTimer = undefined;
  }
  api.setState(uiState);
}
