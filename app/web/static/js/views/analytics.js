import { html } from "/static/js/ui.js";

export function LinkView() {
  return html`<section><h1>LinkView</h1><p>Not built yet.</p></section>`;
}
