// Create or edit a short link: destination, slug, schedule, limits, password. A new link is
// checked with createLink(dryRun) as you type, so refusals sit next to their fields.
import { gql, byField } from "/static/js/api.js";
import { html, useEffect, useState, ErrorText, FieldErrors, navigate, Link } from "/static/js/ui.js";

const LINK = `query($id: ID!) { link(id: $id) { id slug destination title tags fallbackDestination
  enabled scanLimit notBefore notAfter redirectType forwardQuery passwordProtected } }`;
const EMPTY = { destination: "", slug: "", title: "", tags: "", fallbackDestination: "",
  enabled: true, scanLimit: "", notBefore: "", notAfter: "", redirectType: "302",
  forwardQuery: false, password: "" };

// <input type=datetime-local> speaks local time without a zone; the API speaks UTC.
const toLocal = (iso) => {
  if (!iso) return "";
  const d = new Date(iso);
  return new Date(d - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
};
const fromLocal = (value) => (value ? new Date(value).toISOString() : null);

function inputOf(f, original) {
  const tags = f.tags.split(",").map((t) => t.trim()).filter(Boolean);
  const input = {
    destination: f.destination, title: f.title || null, tags,
    fallbackDestination: f.fallbackDestination || null, enabled: f.enabled,
    scanLimit: f.scanLimit === "" ? null : Number(f.scanLimit),
    notBefore: fromLocal(f.notBefore), notAfter: fromLocal(f.notAfter),
    redirectType: Number(f.redirectType), forwardQuery: f.forwardQuery,
  };
  // An edit sends the slug only when it changed (a new slug is a new short URL).
  if (original ? f.slug !== original.slug : f.slug) input.slug = f.slug || null;
  if (f.password) input.password = f.password;
  return input;
}

export function LinkEditor({ id }) {
  const [form, setForm] = useState(id ? null : { ...EMPTY });
  const [protectedNow, setProtectedNow] = useState(false);
  const [original, setOriginal] = useState(null);
  const [errors, setErrors] = useState({});
  const [failure, setFailure] = useState(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    if (!id) return;
    gql(LINK, { id }).then((d) => {
      if (!d.link) return setFailure("No such link in this workspace.");
      const l = d.link;
      setProtectedNow(l.passwordProtected);
      setOriginal(l);
      setForm({ ...EMPTY, ...l, title: l.title || "", tags: l.tags.join(", "),
        fallbackDestination: l.fallbackDestination || "", scanLimit: l.scanLimit ?? "",
        notBefore: toLocal(l.notBefore), notAfter: toLocal(l.notAfter),
        redirectType: String(l.redirectType), password: "" });
    }, setFailure);
  }, [id]);

  // A new link is checked as it is typed; an edit is checked when saved.
  const key = form && !id ? JSON.stringify(form) : null;
  useEffect(() => {
    if (!key || !form.destination) return;
    const timer = setTimeout(() => {
      gql(`mutation($input: CreateLinkInput!) { createLink(input: $input, dryRun: true) {
        userErrors { field message code } } }`, { input: inputOf(form, null) }).then(
        (d) => setErrors(byField(d.createLink.userErrors)),
        (e) => setFailure(e),
      );
    }, 300);
    return () => clearTimeout(timer);
  }, [key]);

  if (!form) return html`<section><${ErrorText} error=${failure} /><p class="loading">Loading…</p></section>`;
  const set = (name) => (e) => {
    setSaved(false);
    setForm({ ...form, [name]: e.target.type === "checkbox" ? e.target.checked : e.target.value });
  };
  const submit = async (event) => {
    event.preventDefault();
    setFailure(null);
    try {
      if (id) {
        const d = await gql(`mutation($id: ID!, $input: UpdateLinkInput!) { updateLink(id: $id, input: $input) {
          link { id } userErrors { field message code } } }`, { id, input: inputOf(form, original) });
        setErrors(byField(d.updateLink.userErrors));
        setSaved(!d.updateLink.userErrors.length);
        if (!d.updateLink.userErrors.length) setOriginal({ ...original, slug: form.slug });
      } else {
        const d = await gql(`mutation($input: CreateLinkInput!) { createLink(input: $input) {
          link { id } userErrors { field message code } } }`, { input: inputOf(form, null) });
        if (d.createLink.userErrors.length) setErrors(byField(d.createLink.userErrors));
        else navigate(`/app/links/${encodeURIComponent(d.createLink.link.id)}`);
      }
    } catch (e) {
      setFailure(e);
    }
  };
  const field = (name, label, attrs = {}, hint = null) => html`<div class="field">
    <label for=${`link-${name}`}>${label}</label>
    <input id=${`link-${name}`} name=${name} value=${form[name]} onInput=${set(name)} ...${attrs} />
    ${hint && html`<p class="hint">${hint}</p>`}
    <${FieldErrors} errors=${errors[name]} /></div>`;
  const check = (name, label) => html`<label class="inline"><input type="checkbox" name=${name}
    checked=${form[name]} onChange=${set(name)} /> ${label}</label>`;

  return html`<section>
    <h1>${id ? `Edit /${form.slug}` : "New link"}</h1>
    <form id="link-form" onSubmit=${submit}>
      ${field("destination", "Destination", { class: "wide", required: true, placeholder: "https://example.com/" })}
      <div class="row">
        ${field("slug", "Slug", {}, id ? "Changing it changes the short URL." : "Left empty, one is made up.")}
        ${field("title", "Title")}
        ${field("tags", "Tags (comma separated)")}
      </div>
      <div class="row">
        ${field("notBefore", "Active from (your time)", { type: "datetime-local" })}
        ${field("notAfter", "Until", { type: "datetime-local" })}
        ${field("scanLimit", "Scan limit", { type: "number", min: 1 })}
      </div>
      ${field("fallbackDestination", "Fallback (when scheduled, expired or used up)", { class: "wide" })}
      <div class="row">
        <div class="field"><label for="link-redirectType">Redirect</label>
          <select id="link-redirectType" name="redirectType" value=${form.redirectType} onChange=${set("redirectType")}>
            ${["302", "301", "307", "308"].map((c) => html`<option>${c}</option>`)}</select>
          <${FieldErrors} errors=${errors.redirectType} /></div>
        ${field("password", protectedNow ? "New password (it has one)" : "Password (optional)", { type: "password", autocomplete: "new-password" })}
      </div>
      <p>${check("enabled", "Enabled")} ${check("forwardQuery", "Forward the query string")}</p>
      <${FieldErrors} errors=${errors[""]} />
      <${ErrorText} error=${failure} />
      <button type="submit">${id ? "Save link" : "Create link"}</button>
      ${saved && html` <span class="ok" role="status">Saved.</span>`}
      ${id && html` <${Link} href=${`/app/links/${encodeURIComponent(id)}`} class="small">Back to its analytics<//>`}
    </form>
  </section>`;
}
