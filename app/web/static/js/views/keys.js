import { html } from "/static/js/ui.js";

export function KeysView() {
  return html`<section><h1>KeysView</h1><p>Not built yet.</p></section>`;
}
