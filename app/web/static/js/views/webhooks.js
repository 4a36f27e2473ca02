import { html } from "/static/js/ui.js";

export function WebhooksView() {
  return html`<section><h1>WebhooksView</h1><p>Not built yet.</p></section>`;
}
