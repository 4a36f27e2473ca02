import { html } from "/static/js/ui.js";

export function OverviewView() {
  return html`<section><h1>OverviewView</h1><p>Not built yet.</p></section>`;
}
