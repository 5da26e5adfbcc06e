// The host's view state as the webview last heard it, minus the timeline (which the TimelineView
// owns, since it changes item by item). DOM-free: a pure reducer, unit-tested in Node.
import type { ToWebview, ViewState } from '../shared/protocol';

export type ViewSnapshot = Omit<ViewState, 'active'> & {
  activeId: string;
  activeTitle: string;
};

export function snapshotOf(state: ViewState): ViewSnapshot {
  const { active, ...rest } = state;
  return { ...rest, activeId: active.id, activeTitle: active.title };
}

/** Applies a notification to the snapshot; messages that do not touch it return it unchanged. */
export function reduceSnapshot(snapshot: ViewSnapshot, message: ToWebview): ViewSnapshot {
  switch (message.type) {
    case 'state/bootstrap':
      return snapshotOf(message.state);
    case 'meter/didChange':
      return { ...snapshot, meter: message.meter };
    case 'backend/didChange':
      return { ...snapshot, backend: message.backend };
    case 'generating/didChange':
      return { ...snapshot, generating: message.generating, requestId: message.generating ? message.requestId : undefined };
    case 'chat/started':
      return { ...snapshot, requestId: message.requestId };
    case 'conversations/didChange':
      return { ...snapshot, conversations: message.conversations, activeTitle: message.activeTitle };
    case 'settings/didChange':
      return { ...snapshot, compactionMode: message.compactionMode, model: message.model, effort: message.effort };
    case 'agent/didChange':
      return { ...snapshot, agent: message.agent };
    default:
      return snapshot;
  }
}
