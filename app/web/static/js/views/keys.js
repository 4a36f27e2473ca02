// API keys: create with scopes (the secret shown once), list, revoke.
import { gql, byField, schemaFeatures, getKey } from "/static/js/api.js";
import { html, useState, useQuery, ErrorText, FieldErrors, formatDate, CopyButton } from "/static/js/ui.js";

const SCOPES = ["links:read", "links:write", "codes:read", "codes:write", "designs:read",
  "designs:write", "analytics:read", "webhooks:manage", "keys:manage", "bulk:write"];
const KEYS = `{ apiKeys(first: 100) { edges { node { id name prefix scopes createdAt lastUsedAt } } } }`;

export function KeysView() {
  const [features] = useQuery(() => schemaFeatures(), []);
  const listed = features && features.query.has("apiKeys");
  const [list, listError, , reload] = useQuery(() => (listed ? gql(KEYS) : Promise.resolve(null)), [listed]);
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState(["links:read", "codes:read", "analytics:read"]);
  const [fieldErrors, setFieldErrors] = useState({});
  const [failure, setFailure] = useState(null);
  const [created, setCreated] = useState(null);

  const create = async (event) => {
    event.preventDefault();
    setFieldErrors({});
    setFailure(null);
    try {
      const d = await gql(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
        apiKey { id name prefix scopes } secret userErrors { field message code } } }`,
        { input: { name, scopes } });
      const p = d.createApiKey;
      if (p.userErrors.length) setFieldErrors(byField(p.userErrors));
      else { setCreated(p); setName(""); reload(); }
    } catch (e) {
      setFailure(e);
    }
  };
  const revoke = async (key) => {
    if (!confirm(`Revoke the key "${key.name}" (${key.prefix}…)? Whatever uses it stops working.`)) return;
    try {
      const d = await gql(`mutation($id: ID!) { revokeApiKey(id: $id) { deletedId userErrors { message } } }`, { id: key.id });
      if (d.revokeApiKey.userErrors.length) setFailure(d.revokeApiKey.userErrors.map((e) => e.message).join(" "));
      reload();
    } catch (e) {
      setFailure(e);
    }
  };
  const toggle = (s) => setScopes(scopes.includes(s) ? scopes.filter((x) => x !== s) : [...scopes, s]);
  // Keys read qrf_<prefix>_<secret>; the list shows the prefix, so this tab's key is known.
  const minePrefix = (getKey() || "").split("_")[1] || "";
  const isMine = (k) => k.prefix === minePrefix || k.prefix === `qrf_${minePrefix}`;

  return html`<div>
    <section>
      <h1>API keys</h1>
      <form onSubmit=${create} id="key-form">
        <label for="key-name">Name</label>
        <input id="key-name" name="name" value=${name} required placeholder="label printer"
          onInput=${(e) => setName(e.target.value)} />
        <${FieldErrors} errors=${fieldErrors.name} />
        <label>Scopes</label>
        <div>${SCOPES.map((s) => html`<label class="inline"><input type="checkbox" name="scopes" value=${s}
          checked=${scopes.includes(s)} onChange=${() => toggle(s)} /> ${s}</label>`)}
          <label class="inline"><input type="checkbox" name="scopes" value="*" checked=${scopes.includes("*")}
            onChange=${() => toggle("*")} /> * (everything)</label></div>
        <${FieldErrors} errors=${fieldErrors.scopes} />
        <${FieldErrors} errors=${fieldErrors[""]} />
        <p><button type="submit">Create key</button></p>
      </form>
      <${ErrorText} error=${failure} />
      ${created && html`<div class="secret" id="new-key"><strong>The key "${created.apiKey.name}", shown once:</strong>
        <code data-copy=${created.secret}>${created.secret}</code> <${CopyButton} text=${created.secret} />
        <p class="hint">Only its prefix is kept; copy it now.</p></div>`}
    </section>
    <section>
      <h2>Keys of this workspace</h2>
      <${ErrorText} error=${listError} />
      ${features && !listed && html`<p class="hint">This server does not list keys; revoke one with
        <code>qrforge keys revoke</code>.</p>`}
      ${list && html`<table class="list" id="keys"><thead><tr><th>Name</th><th>Prefix</th><th>Scopes</th>
        <th>Created</th><th>Last used</th><th></th></tr></thead>
        <tbody>${list.apiKeys.edges.map(({ node: k }) => html`<tr data-key=${k.id}>
          <td>${k.name}</td><td><code>${k.prefix}</code></td><td>${k.scopes.join(" ")}</td>
          <td>${formatDate(k.createdAt)}</td><td>${k.lastUsedAt ? formatDate(k.lastUsedAt) : "never"}</td>
          <td>${isMine(k) ? html`<span class="hint">this tab's key</span>`
            : html`<button type="button" class="small danger" onClick=${() => revoke(k)}>Revoke</button>`}</td>
        </tr>`)}</tbody></table>`}
    </section>
  </div>`;
}
