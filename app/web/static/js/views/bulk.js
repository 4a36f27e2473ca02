import { html } from "/static/js/ui.js";

export function BulkView() {
  return html`<section><h1>BulkView</h1><p>Not built yet.</p></section>`;
}
