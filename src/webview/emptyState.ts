// What a new conversation shows: which backend answers, example prompts and keyboard hints.
import type { BackendInfo, ToHost } from '../shared/protocol';
import { DEMO_SCENES, type DemoScene } from './demoScenes';
import { button, h, icon } from './dom';

export const EXAMPLE_PROMPTS: readonly string[] = [
  'Explain the structure of this project and where to start reading.',
  'Write a TypeScript function that debounces another function, with unit tests.',
  'How does server-side context compaction keep a long conversation going?',
];

const KEY_HINTS: ReadonlyArray<[string, string]> = [
  ['Enter', 'send'],
  ['Shift+Enter', 'new line'],
  ['Escape', 'stop the answer'],
  ['Up', 'edit your last message (empty box)'],
];

export class EmptyState {
  readonly element: HTMLElement;
  private readonly backendSlot: HTMLElement;
  private readonly examples: HTMLElement;
  private readonly examplesHeading: HTMLElement;
  private readonly scenes: HTMLElement;

  constructor(
    private readonly post: (message: ToHost) => void,
    sendExample: (text: string) => void,
    runScene: (scene: DemoScene) => void,
  ) {
    this.backendSlot = h('div', { class: 'empty-backend' });
    // In demo mode the emulator answers these with scripted scenes instead of an echo.
    this.scenes = h('div', { class: 'examples demo-scenes', testid: 'demo-scenes', hidden: true, attrs: { role: 'group', 'aria-label': 'Demo scenes' } });
    for (const scene of DEMO_SCENES) {
      const item = button({ label: `Play the demo scene: ${scene.title}`, text: scene.title, icon: 'play', class: 'example', testid: `demo-scene-${scene.id}` });
      item.addEventListener('click', () => runScene(scene));
      this.scenes.append(item);
    }
    const examples = h('div', { class: 'examples', attrs: { role: 'group', 'aria-label': 'Example prompts' } });
    this.examples = examples;
    for (const prompt of EXAMPLE_PROMPTS) {
      const example = button({ label: `Send: ${prompt}`, text: prompt, icon: 'comment', class: 'example' });
      example.addEventListener('click', () => sendExample(prompt));
      examples.append(example);
    }
    const keys = h('ul', { class: 'key-hints', attrs: { 'aria-label': 'Keyboard shortcuts' } });
    for (const [key, what] of KEY_HINTS) {
      keys.append(h('li', {}, h('kbd', { text: key }), h('span', { text: ` ${what}` })));
    }
    this.element = h(
      'div',
      { class: 'empty-state', testid: 'empty-state', hidden: true },
      h('h2', { class: 'empty-title' }, icon('sparkle'), h('span', { text: 'Marathon' })),
      h('p', {
        class: 'empty-lead',
        text: 'One conversation with Claude that lasts all day: when the context fills up it is compacted on the server, and you keep going.',
      }),
      this.backendSlot,
      (this.examplesHeading = h('h3', { class: 'empty-heading', text: 'Try' })),
      this.scenes,
      examples,
      keys,
    );
  }

  update(backend: BackendInfo, model: string): void {
    this.backendSlot.replaceChildren();
    const demo = backend.kind === 'demo';
    this.scenes.hidden = !demo;
    this.examples.hidden = demo;
    this.examplesHeading.textContent = demo ? 'Try a scene' : 'Try';
    switch (backend.kind) {
      case 'none': {
        if (backend.provider !== undefined && backend.provider.id !== 'anthropic') {
          const choose = button({ label: 'Select Provider', text: 'Select Provider', icon: 'cloud', testid: 'set-api-key', class: 'primary' });
          choose.addEventListener('click', () => this.post({ type: 'command/run', command: 'selectProvider' }));
          this.backendSlot.append(
            h('div', { class: 'empty-callout warning' }, h('p', { text: `Marathon needs a key to reach Claude on ${backend.provider.label}.` }), choose),
          );
          break;
        }
        const setKey = button({
          label: 'Set API Key',
          text: 'Set API Key',
          icon: 'key',
          testid: 'set-api-key',
          class: 'primary',
        });
        setKey.addEventListener('click', () => this.post({ type: 'command/run', command: 'setApiKey' }));
        this.backendSlot.append(
          h(
            'div',
            { class: 'empty-callout warning' },
            h('p', {
              text: 'Marathon needs an Anthropic API key. Set one here (it is kept in VS Code’s secret storage), or start VS Code with the ANTHROPIC_API_KEY environment variable.',
            }),
            setKey,
          ),
        );
        break;
      }
      case 'demo':
        this.backendSlot.append(
          h(
            'div',
            { class: 'empty-callout' },
            h('span', { class: 'demo-badge inline' }, icon('beaker'), h('span', { text: 'Demo backend' })),
            h('p', {
              text: 'Replies come from the bundled emulator, not from Claude. It behaves like the real API, compaction included. Play a scene below to see Apply, a compaction, an agent run and a fix; anything else you type gets a short echo.',
            }),
          ),
        );
        break;
      case 'api': {
        const provider = backend.provider;
        if (provider !== undefined && provider.id !== 'anthropic') {
          const where = provider.region ? ` (${provider.region})` : '';
          const how = provider.credentials ? `, signed in with ${provider.credentials}` : '';
          this.backendSlot.append(h('p', { class: 'empty-note', text: `Connected${model ? ` to ${model}` : ''} on ${provider.label}${where}${how}.` }));
          break;
        }
        const source =
          backend.keySource === 'environment' ? 'the ANTHROPIC_API_KEY environment variable' : 'VS Code’s secret storage';
        this.backendSlot.append(
          h('p', { class: 'empty-note', text: `Connected${model ? ` to ${model}` : ''}, using the key from ${source}.` }),
        );
        break;
      }
    }
  }
}
