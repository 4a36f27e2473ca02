// The dashboard: a shell (key, navigation) and one view per path under /app/.
import { gql, getKey, setKey } from "/static/js/api.js";
import { html, render, useEffect, useState, Link, ErrorText, navigate } from "/static/js/ui.js";
import { LinksView, CodesView } from "/static/js/views/lists.js";
import { CodeEditor } from "/static/js/views/editor.js";
import { LinkView } from "/static/js/views/analytics.js";
import { LinkEditor } from "/static/js/views/link-editor.js";
import { BulkView } from "/static/js/views/bulk.js";
import { WebhooksView } from "/static/js/views/webhooks.js";
import { KeysView } from "/static/js/views/keys.js";
import { OverviewView } from "/static/js/views/overview.js";

const VIEWS = [
  [/^\/app\/overview$/, () => html`<${OverviewView} />`],
  [/^\/app\/codes$/, () => html`<${CodesView} />`],
  [/^\/app\/codes\/new$/, () => html`<${CodeEditor} />`],
  [/^\/app\/codes\/([^/]+)$/, (m) => html`<${CodeEditor} id=${decodeURIComponent(m[1])} />`],
  [/^\/app\/links$/, () => html`<${LinksView} />`],
  [/^\/app\/links\/new$/, () => html`<${LinkEditor} />`],
  [/^\/app\/links\/([^/]+)\/edit$/, (m) => html`<${LinkEditor} id=${decodeURIComponent(m[1])} />`],
  [/^\/app\/links\/([^/]+)$/, (m) => html`<${LinkView} id=${decodeURIComponent(m[1])} />`],
  [/^\/app\/bulk$/, () => html`<${BulkView} />`],
  [/^\/app\/webhooks$/, () => html`<${WebhooksView} />`],
  [/^\/app\/keys$/, () => html`<${KeysView} />`],
];

const NAV = [
  ["/app/overview", "Overview"],
  ["/app/codes", "Codes"],
  ["/app/links", "Links"],
  ["/app/codes/new", "New code"],
  ["/app/bulk", "Bulk"],
  ["/app/webhooks", "Webhooks"],
  ["/app/keys", "API keys"],
];

function KeyForm({ onViewer, error: initialError }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState(initialError);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setKey(value.trim());
    try {
      const data = await gql("{ viewer { workspace { id name } scopes } }");
      onViewer(data.viewer);
    } catch (e) {
      setKey(null);
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="key-form">
    <h1>qrforge</h1>
    <form onSubmit=${submit}>
      <label for="api-key">API key</label>
      <p class="hint">Paste a key (qrf_…). It is kept in this tab's session storage only and
        sent to this server alone; closing the tab forgets it.</p>
      <input id="api-key" name="api-key" type="password" autocomplete="off" required
        value=${value} onInput=${(e) => setValue(e.target.value)} />
      <button type="submit" disabled=${busy}>Open the dashboard</button>
      <${ErrorText} error=${error} />
    </form>
  </main>`;
}

function usePath() {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const changed = () => setPath(location.pathname);
    addEventListener("popstate", changed);
    return () => removeEventListener("popstate", changed);
  }, []);
  return path;
}

function Shell() {
  const [viewer, setViewer] = useState(null);
  const [checking, setChecking] = useState(Boolean(getKey()));
  const [keyError, setKeyError] = useState(null);
  const path = usePath();

  useEffect(() => {
    if (!getKey()) return;
    gql("{ viewer { workspace { id name } scopes } }").then(
      (data) => {
        setViewer(data.viewer);
        setChecking(false);
      },
      (e) => {
        setKey(null);
        setKeyError(e);
        setChecking(false);
      },
    );
  }, []);

  useEffect(() => {
    if (path === "/" || path === "/app" || path === "/app/") navigate("/app/codes");
  }, [path]);

  if (checking) return html`<p class="loading">Checking the key…</p>`;
  if (!viewer) return html`<${KeyForm} onViewer=${setViewer} error=${keyError} />`;

  const forget = () => {
    setKey(null);
    setViewer(null);
  };
  const match = VIEWS.map(([re, view]) => [re.exec(path), view]).find(([m]) => m);
  return html`<div class="shell">
    <header>
      <strong class="brand">qrforge</strong>
      <nav>${NAV.map(
        ([href, label]) =>
          html`<${Link} href=${href} class=${path === href ? "active" : ""}>${label}<//>`,
      )}
        <a href="/graphql" target="_blank" rel="noopener">GraphiQL</a>
      </nav>
      <span class="who" title=${viewer.scopes.join(" ")}>
        ${viewer.workspace.name} · ${viewer.scopes.includes("*") ? "all scopes" :
          `${viewer.scopes.length} scopes`}
        <button type="button" class="small" onClick=${forget}>Forget key</button>
      </span>
    </header>
    <main>${match ? match[1](match[0]) : html`<p>No such page. <${Link} href="/app/codes">Codes<//></p>`}</main>
  </div>`;
}

render(html`<${Shell} />`, document.getElementById("root"));
