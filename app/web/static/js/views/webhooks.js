// Webhooks: create (the signing secret shown once), their deliveries and redeliver.
import { gql, byField } from "/static/js/api.js";
import { html, useState, useQuery, ErrorText, FieldErrors, Status, formatDate, CopyButton } from "/static/js/ui.js";

const EVENTS_QUERY = `{ __type(name: "WebhookEvent") { enumValues { name } } }`;
const WEBHOOKS = `{ webhooks(first: 50) { edges { node {
  id url description events enabled disabledReason createdAt
  deliveries(first: 10) { edges { node {
    id event status attempts responseStatus lastError createdAt deliveredAt nextAttemptAt } } }
} } } }`;

function Deliveries({ webhook, onChanged }) {
  const [errors, setErrors] = useState({});
  const redeliver = async (id) => {
    try {
      const d = await gql(`mutation($id: ID!) { redeliverWebhook(deliveryId: $id) {
        webhookDelivery { id status } userErrors { message } } }`, { id });
      const problems = d.redeliverWebhook.userErrors;
      setErrors({ ...errors, [id]: problems.length ? problems.map((p) => p.message).join(" ") : null });
      onChanged();
    } catch (e) {
      setErrors({ ...errors, [id]: e.message });
    }
  };
  const rows = webhook.deliveries.edges.map((e) => e.node);
  if (!rows.length) return html`<p class="empty">No deliveries yet.</p>`;
  return html`<table class="list deliveries"><thead><tr><th>Event</th><th>Status</th>
    <th class="num">Attempts</th><th>Answer</th><th>Last error</th><th>Created</th><th>Next try</th><th></th></tr></thead>
    <tbody>${rows.map((d) => html`<tr data-delivery=${d.id}>
      <td>${d.event}</td><td><${Status} status=${d.status} /></td><td class="num">${d.attempts}</td>
      <td>${d.responseStatus || ""}</td><td class="last-error">${d.lastError || ""}</td>
      <td>${formatDate(d.createdAt)}</td>
      <td>${d.status === "PENDING" && d.nextAttemptAt ? formatDate(d.nextAttemptAt) : ""}</td>
      <td><button type="button" class="small secondary" onClick=${() => redeliver(d.id)}>Redeliver</button>
        ${errors[d.id] && html`<span class="field-error" role="alert">${errors[d.id]}</span>`}</td>
    </tr>`)}</tbody></table>`;
}

export function WebhooksView() {
  const [events] = useQuery(() => gql(EVENTS_QUERY).then((d) => d.__type.enumValues.map((v) => v.name)), []);
  const [list, listError, , reload] = useQuery(() => gql(WEBHOOKS), []);
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [chosen, setChosen] = useState(["SCAN_CREATED"]);
  const [fieldErrors, setFieldErrors] = useState({});
  const [failure, setFailure] = useState(null);
  const [secret, setSecret] = useState(null);

  const create = async (event) => {
    event.preventDefault();
    setFieldErrors({});
    setFailure(null);
    try {
      const d = await gql(`mutation($input: CreateWebhookInput!) { createWebhook(input: $input) {
        webhook { id } secret userErrors { field message code } } }`,
        { input: { url, events: chosen, ...(description ? { description } : {}) } });
      const p = d.createWebhook;
      if (p.userErrors.length) setFieldErrors(byField(p.userErrors));
      else { setSecret(p.secret); setUrl(""); reload(); }
    } catch (e) {
      setFailure(e);
    }
  };
  const remove = async (id) => {
    if (!confirm("Delete this webhook? Its deliveries go with it.")) return;
    try {
      await gql(`mutation($id: ID!) { deleteWebhook(id: $id) { deletedId } }`, { id });
      reload();
    } catch (e) {
      setFailure(e);
    }
  };
  const toggle = (name) => setChosen(chosen.includes(name) ? chosen.filter((n) => n !== name) : [...chosen, name]);

  return html`<div>
    <section>
      <h1>Webhooks</h1>
      <form onSubmit=${create} id="webhook-form">
        <label for="webhook-url">Endpoint URL</label>
        <input id="webhook-url" name="url" class="wide" value=${url} placeholder="https://example.com/hooks/qrforge"
          onInput=${(e) => setUrl(e.target.value)} required />
        <${FieldErrors} errors=${fieldErrors.url} />
        <label for="webhook-description">Description</label>
        <input id="webhook-description" class="wide" value=${description} onInput=${(e) => setDescription(e.target.value)} />
        <label>Events</label>
        <div>${(events || []).map((name) => html`<label class="inline">
          <input type="checkbox" name="events" value=${name} checked=${chosen.includes(name)}
            onChange=${() => toggle(name)} /> ${name}</label>`)}</div>
        <${FieldErrors} errors=${fieldErrors.events} />
        <${FieldErrors} errors=${fieldErrors[""]} />
        <p><button type="submit">Add webhook</button></p>
      </form>
      <${ErrorText} error=${failure} />
      ${secret && html`<div class="secret" id="webhook-secret"><strong>Signing secret, shown once:</strong>
        <code data-copy=${secret}>${secret}</code> <${CopyButton} text=${secret} />
        <p class="hint">Receivers check each request's webhook-signature with it (Standard Webhooks).</p></div>`}
    </section>
    <${ErrorText} error=${listError} />
    ${list && list.webhooks.edges.map(({ node: w }) => html`<section class="webhook" data-webhook=${w.id}>
      <h2><code>${w.url}</code> ${w.enabled ? html`<${Status} status="ACTIVE" />` : html`<${Status} status="DISABLED" />`}
        <button type="button" class="small danger" onClick=${() => remove(w.id)}>Delete</button></h2>
      <p class="hint">${w.events.join(", ")}${w.description ? ` · ${w.description}` : ""}
        ${w.disabledReason ? ` · stopped: ${w.disabledReason}` : ""}</p>
      <${Deliveries} webhook=${w} onChanged=${reload} />
      <button type="button" class="small secondary" onClick=${reload}>Refresh</button>
    </section>`)}
    ${list && !list.webhooks.edges.length && html`<section><p class="empty">No webhooks yet.</p></section>`}
  </div>`;
}
