// The workspace at a glance: today's usage against its limits, and, where the server has
// workspace analytics, the scans of the last 30 days and the top links.
import { gql, schemaFeatures } from "/static/js/api.js";
import { html, useQuery, ErrorText, Link } from "/static/js/ui.js";

const BASICS = `{ viewer { workspace { name
  usage { linksToday codesToday bulkItemsToday }
  limits { linksPerDay codesPerDay bulkItemsPerDay requestsPerMinute } } } }`;
const ANALYTICS = `query($from: DateTime, $to: DateTime) { viewer { workspace {
  analytics(from: $from, to: $to, interval: DAY) {
    total unique series { bucket scans unique }
    byCountry { key count } byDevice { key count }
    topLinks(first: 10) { link { id slug title shortUrl } scans unique }
  } } } }`;

function Bars({ series }) {
  const top = Math.max(1, ...series.map((p) => p.scans));
  return html`<div class="bars" role="img" aria-label="Scans per day">
    ${series.map((p) => html`<div class="bar" title="${p.bucket.slice(0, 10)}: ${p.scans} scans"
      style="height: ${Math.round((100 * p.scans) / top)}%"></div>`)}
  </div>`;
}

export function OverviewView() {
  const [basics, error] = useQuery(() => gql(BASICS), []);
  const [analytics, analyticsError] = useQuery(async () => {
    const features = await schemaFeatures();
    if (!features.workspace.has("analytics")) return { missing: true };
    const to = new Date(Math.ceil(Date.now() / 60000) * 60000);
    const from = new Date(to - 30 * 24 * 3600 * 1000);
    const d = await gql(ANALYTICS, { from: from.toISOString(), to: to.toISOString() });
    return d.viewer.workspace.analytics;
  }, []);
  if (error) return html`<section><${ErrorText} error=${error} /></section>`;
  if (!basics) return html`<section><p class="loading">Loading…</p></section>`;
  const w = basics.viewer.workspace;
  const use = [["Links", w.usage.linksToday, w.limits.linksPerDay],
    ["Codes", w.usage.codesToday, w.limits.codesPerDay],
    ["Bulk items", w.usage.bulkItemsToday, w.limits.bulkItemsPerDay]];
  return html`<div>
    <section>
      <h1>${w.name}</h1>
      <div class="cards">${use.map(([label, used, limit]) => html`<div class="card">
        <div class="value">${used.toLocaleString("en")}</div>
        <div class="label">${label} in the last 24 h, of ${limit.toLocaleString("en")}</div>
      </div>`)}
        <div class="card"><div class="value">${w.limits.requestsPerMinute.toLocaleString("en")}</div>
          <div class="label">requests a minute per key</div></div>
      </div>
    </section>
    <section>
      <h2>Scans, last 30 days</h2>
      <${ErrorText} error=${analyticsError} />
      ${analytics && analytics.missing && html`<p class="hint">This server has no workspace
        analytics yet; each link's analytics are on its page (<${Link} href="/app/links">Links<//>).</p>`}
      ${analytics && !analytics.missing && html`
        <div class="cards"><div class="card"><div class="value" id="ws-total">${analytics.total}</div>
          <div class="label">scans</div></div>
          <div class="card"><div class="value">${analytics.unique}</div><div class="label">unique</div></div></div>
        <${Bars} series=${analytics.series} />
        <h2>Top links</h2>
        <table class="list" id="top-links"><thead><tr><th>Link</th><th class="num">Scans</th>
          <th class="num">Unique</th></tr></thead>
          <tbody>${analytics.topLinks.map((t) => html`<tr>
            <td><${Link} href=${`/app/links/${encodeURIComponent(t.link.id)}`}>${t.link.title || t.link.slug}<//></td>
            <td class="num">${t.scans}</td><td class="num">${t.unique}</td></tr>`)}</tbody></table>`}
    </section>
  </div>`;
}
