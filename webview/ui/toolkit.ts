/**
 * The thin local wrapper over @vscode/webview-ui-toolkit (DESIGN.md "Webview"): the rest of the
 * UI asks for a button or a text field here and never names a `vscode-*` element, so swapping the
 * toolkit (deprecated upstream) touches this file only. Registration happens once, on first use.
 */
let registered = false;

/**
 * Loaded lazily: the toolkit probes the page's CSP when it is evaluated, which must happen after
 * main.ts has published the nonce, and the elements created before it is defined upgrade in place.
 * main.ts calls it at startup too: the toolkit reads the theme on the window's `load` event, so it
 * must be evaluated before that.
 */
export function register(): void {
  if (registered) return;
  registered = true;
  void import('@vscode/webview-ui-toolkit').then(
    ({ provideVSCodeDesignSystem, vsCodeBadge, vsCodeButton, vsCodeDivider, vsCodeProgressRing, vsCodeTextField }) => {
      provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeTextField(), vsCodeBadge(), vsCodeDivider(), vsCodeProgressRing());
    },
  );
}

export interface ButtonOptions {
  readonly title?: string;
  /** `icon` buttons are compact toolbar buttons. */
  readonly appearance?: 'primary' | 'secondary' | 'icon';
  readonly onClick: () => void;
}

export function button(label: string, options: ButtonOptions): HTMLElement {
  register();
  const element = document.createElement('vscode-button');
  element.textContent = label;
  element.setAttribute('appearance', options.appearance === 'icon' ? 'secondary' : (options.appearance ?? 'secondary'));
  if (options.title !== undefined) {
    element.title = options.title;
    element.setAttribute('aria-label', options.title);
  }
  element.addEventListener('click', () => options.onClick());
  return element;
}

export interface TextField extends HTMLElement {
  value: string;
}

export function textField(placeholder: string, onInput: (value: string) => void): TextField {
  register();
  const element = document.createElement('vscode-text-field') as TextField;
  element.setAttribute('placeholder', placeholder);
  element.setAttribute('aria-label', placeholder);
  element.addEventListener('input', () => onInput(element.value));
  return element;
}

export function badge(text: string): HTMLElement {
  register();
  const element = document.createElement('vscode-badge');
  element.textContent = text;
  return element;
}

export function progressRing(): HTMLElement {
  register();
  return document.createElement('vscode-progress-ring');
}

export function divider(): HTMLElement {
  register();
  return document.createElement('vscode-divider');
}
