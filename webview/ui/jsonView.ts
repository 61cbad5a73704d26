/**
 * A JSON value as a foldable tree of DOM text nodes (never innerHTML: payloads are untrusted).
 * Objects and arrays are <details>; their children are built only when first opened, so a
 * 256 KiB payload costs nothing until someone looks inside.
 */
export function jsonView(value: unknown, openDepth = 3): HTMLElement {
  const root = document.createElement('div');
  root.className = 'rt-json';
  if (typeof value === 'string') {
    // A plain string payload reads better as text than as a quoted JSON literal.
    root.textContent = value;
    return root;
  }
  root.append(entry(undefined, value, 0, openDepth));
  return root;
}

function entry(key: string | undefined, value: unknown, depth: number, openDepth: number): Node {
  if (value !== null && typeof value === 'object') {
    const isArray = Array.isArray(value);
    const entries = isArray
      ? (value as unknown[]).map((v, i) => [String(i), v] as const)
      : Object.entries(value as Record<string, unknown>);
    const details = document.createElement('details');
    const summary = document.createElement('summary');
    if (key !== undefined) summary.append(span('k', `${key}: `));
    summary.append(span('dim', isArray ? `[${entries.length}]` : `{${entries.length}}`));
    details.append(summary);
    let built = false;
    const build = () => {
      if (built) return;
      built = true;
      for (const [childKey, child] of entries)
        details.append(entry(isArray ? childKey : JSON.stringify(childKey), child, depth + 1, openDepth));
    };
    details.addEventListener('toggle', () => {
      if (details.open) build();
    });
    if (depth < openDepth && entries.length <= 200) {
      details.open = true;
      build();
    }
    return details;
  }
  const line = document.createElement('div');
  if (key !== undefined) line.append(span('k', `${key}: `));
  line.append(scalar(value));
  return line;
}

function scalar(value: unknown): HTMLElement {
  if (typeof value === 'string') return span('s', JSON.stringify(value));
  if (typeof value === 'number') return span('n', String(value));
  if (typeof value === 'boolean' || value === null) return span('b', String(value));
  return span('dim', String(value));
}

function span(className: string, text: string): HTMLElement {
  const element = document.createElement('span');
  element.className = className;
  element.textContent = text;
  return element;
}

/** Copies text; navigator.clipboard needs focus and a secure context, the textarea trick does not. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
}
