import { html } from "/static/js/ui.js";

export function CodeEditor() {
  return html`<section><h1>CodeEditor</h1><p>Not built yet.</p></section>`;
}
