// Bulk: a CSV becomes bulkCreateQrCodes; bulkJobUpdated drives the progress bar; the ZIP
// downloads once; the job's errors are shown by CSV row.
import { gql, subscribe } from "/static/js/api.js";
import { html, useEffect, useState, ErrorText, Status, local } from "/static/js/ui.js";

const MAX_ROWS = 1000;
// Columns that are not part of the data: everything else is a key of `data` (url, text, …).
const OWN_COLUMNS = new Set(["name", "type", "data_type", "datatype", "kind", "slug", "tags",
  "data"]);
const JOB_FIELDS = "id status total processed succeeded failed resultUrl errors { index field message code }";

// RFC 4180: quoted fields, doubled quotes, CRLF or LF; a trailing newline ends no row.
export function parseCsv(text) {
  const rows = [];
  let row = [], field = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") { row.push(field); field = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field); rows.push(row); row = []; field = "";
    } else field += c;
  }
  if (field !== "" || row.length) { row.push(field); rows.push(row); }
  return rows.filter((r) => r.some((v) => v.trim() !== ""));
}

// CSV rows to CreateQrCodeInput items; problems found here are reported by row, like the
// server's, and those rows are not sent.
export function itemsOf(rows) {
  const [header, ...body] = rows;
  const names = header.map((h) => h.trim().toLowerCase());
  const items = [], problems = [], rowOf = [];
  if (!names.includes("name")) problems.push({ row: 1, message: "The first row must name the columns, one of them `name`." });
  body.forEach((cells, i) => {
    const row = i + 2;
    const get = (n) => { const at = names.indexOf(n); return at < 0 ? "" : (cells[at] || "").trim(); };
    const dataType = (get("type") || get("data_type") || get("datatype") || "URL").toUpperCase();
    let data = {};
    if (get("data")) {
      try { data = JSON.parse(get("data")); } catch (e) {
        problems.push({ row, message: "The data column is not valid JSON." });
        return;
      }
    }
    names.forEach((n, at) => {
      if (!OWN_COLUMNS.has(n) && n && (cells[at] || "").trim() !== "") data[n] = cells[at].trim();
    });
    const kind = (get("kind") || "STATIC").toUpperCase();
    const item = { name: get("name"), dataType, kind, data };
    if (kind === "DYNAMIC") {
      const tags = get("tags").split(/[;|]/).map((t) => t.trim()).filter(Boolean);
      item.link = { destination: data.url || "", ...(get("slug") ? { slug: get("slug") } : {}),
        ...(tags.length ? { tags } : {}) };
    }
    items.push(item);
    rowOf.push(row);
  });
  if (items.length > MAX_ROWS) problems.push({ row: 0, message: `At most ${MAX_ROWS} rows per upload.` });
  return { items, problems, rowOf };
}

function Progress({ job }) {
  const done = job.total ? Math.round((100 * job.processed) / job.total) : 0;
  return html`<div class="job" id="job">
    <p><${Status} status=${job.status} />${" "}
      ${`${job.processed} of ${job.total} processed · ${job.succeeded} made · ${job.failed} refused`}</p>
    <progress id="progress" max=${job.total || 1} value=${job.processed}>${done}%</progress>
  </div>`;
}

export function BulkView() {
  const [file, setFile] = useState(null);
  const [parsed, setParsed] = useState(null);
  const [format, setFormat] = useState("PNG");
  const [size, setSize] = useState(512);
  const [job, setJob] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const choose = async (event) => {
    const chosen = event.target.files[0];
    setFile(chosen || null);
    setJob(null);
    setError(null);
    setParsed(chosen ? itemsOf(parseCsv(await chosen.text())) : null);
  };

  useEffect(() => {
    if (!job || !job.id) return;
    return subscribe(`subscription($id: ID!) { bulkJobUpdated(id: $id) { ${JOB_FIELDS} } }`,
      { id: job.id }, {
        onData: (d) => setJob(d.bulkJobUpdated),
        onError: (e) => setError(e),
      });
  }, [job && job.id]);

  const start = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const d = await gql(`mutation($input: BulkCreateQrCodesInput!) { bulkCreateQrCodes(input: $input) {
        bulkJob { ${JOB_FIELDS} } userErrors { field message code } } }`,
        { input: { items: parsed.items, format, size: Number(size) } });
      const payload = d.bulkCreateQrCodes;
      if (payload.userErrors.length) setError(payload.userErrors.map((e) => e.message).join(" "));
      else setJob(payload.bulkJob);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const rowOf = (index) => (parsed && parsed.rowOf[index]) || index + 2;
  return html`<section>
    <h1>Bulk codes from a CSV</h1>
    <p class="hint">The first row names the columns: <code>name</code>, <code>type</code> (URL,
      TEXT, WIFI, …; URL when absent), <code>kind</code> (STATIC or DYNAMIC), then the data's
      own keys as columns (<code>url</code>, <code>text</code>, <code>ssid</code>, …) or one
      <code>data</code> column of JSON; for dynamic codes also <code>slug</code> and
      <code>tags</code> (separated by <code>;</code>). Up to ${MAX_ROWS} rows.</p>
    <form onSubmit=${start} id="bulk-form">
      <div class="row">
        <div><label for="csv">CSV file</label>
          <input id="csv" name="csv" type="file" accept=".csv,text/csv" onChange=${choose} /></div>
        <div><label for="bulk-format">Images</label>
          <select id="bulk-format" value=${format} onChange=${(e) => setFormat(e.target.value)}>
            ${["PNG", "SVG", "JPEG", "PDF"].map((f) => html`<option>${f}</option>`)}</select></div>
        <div><label for="bulk-size">Size (px)</label>
          <input id="bulk-size" type="number" min="64" max="4096" value=${size}
            onInput=${(e) => setSize(e.target.value)} /></div>
        <div><button type="submit" disabled=${busy || !parsed || !parsed.items.length ||
          parsed.problems.some((p) => p.row <= 1) || (job && !["SUCCEEDED", "FAILED"].includes(job.status))}>
          Create ${parsed ? parsed.items.length : ""} codes</button></div>
      </div>
    </form>
    ${parsed && parsed.problems.length > 0 && html`<div class="error" role="alert"><ul>
      ${parsed.problems.map((p) => html`<li>${p.row ? `Row ${p.row}: ` : ""}${p.message}</li>`)}</ul></div>`}
    ${file && parsed && !job && html`<p class="hint">${file.name}: ${parsed.items.length} rows read.</p>`}
    <${ErrorText} error=${error} />
    ${job && html`<${Progress} job=${job} />`}
    ${job && job.resultUrl && html`<p><a id="zip" class="button" href=${local(job.resultUrl)}
      download>Download the ZIP</a> <span class="hint">(once: the link is spent by the download)</span></p>`}
    ${job && job.errors.length > 0 && html`<h2>Rows refused</h2>
      <table class="list" id="row-errors"><thead><tr><th>Row</th><th>Column</th><th>Why</th></tr></thead>
      <tbody>${job.errors.map((e) => html`<tr><td>${rowOf(e.index)}</td><td>${e.field || ""}</td>
        <td>${e.message}</td></tr>`)}</tbody></table>`}
  </section>`;
}
