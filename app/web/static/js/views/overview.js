// The workspace at a glance: today's usage against its limits, and, where the server has
// workspace analytics, the scans of the last 30 days (chart, breakdowns, top links).
import { gql, schemaFeatures } from "/static/js/api.js";
import { html, useQuery, ErrorText, Link, local } from "/static/js/ui.js";

const BASICS = `{ viewer { workspace { name
  usage { linksToday codesToday bulkItemsToday }
  limits { linksPerDay codesPerDay bulkItemsPerDay requestsPerMinute } } } }`;
const ANALYTICS = (chart) => `query($from: DateTime, $to: DateTime) { viewer { workspace {
  analytics(from: $from, to: $to, interval: DAY) {
    total unique series { bucket scans unique }
    byCountry { key count } byDevice { key count } bySource { key count } byReferrer { key count }
    topLinks(first: 10) { link { id slug title shortUrl } scans unique }
  }
  ${chart ? "chart: analyticsChartUrl(from: $from, to: $to, interval: DAY, format: SVG)" : ""}
} } }`;
const BREAKDOWNS = [["bySource", "QR scans and clicks"], ["byCountry", "Countries"],
  ["byDevice", "Devices"], ["byReferrer", "Referrers"]];

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
    const d = await gql(ANALYTICS(features.workspace.has("analyticsChartUrl")),
      { from: from.toISOString(), to: to.toISOString() });
    return { ...d.viewer.workspace.analytics, chart: d.viewer.workspace.chart };
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
        ${analytics.chart
          ? html`<img class="chart" id="ws-chart" src=${local(analytics.chart)} alt="Scans per day, last 30 days" />
              <p class="hint">As an image for reports (valid 30 days, no key needed):${" "}
                <a href=${analytics.chart} target="_blank" rel="noopener">SVG</a></p>`
          : html`<${Bars} series=${analytics.series} />`}
        <div class="breakdowns">${BREAKDOWNS.map(([k, title]) => html`<div class="breakdown">
          <h3>${title}</h3>${analytics[k].length ? html`<table>${analytics[k].map((r) => html`<tr>
            <td>${r.key}</td><td class="num">${r.count}</td></tr>`)}</table>` : html`<p class="empty">No scans.</p>`}
        </div>`)}</div>
        <h2>Top links</h2>
        <table class="list" id="top-links"><thead><tr><th>Link</th><th class="num">Scans</th>
          <th class="num">Unique</th></tr></thead>
          <tbody>${analytics.topLinks.map((t) => html`<tr>
            <td>${t.link
              ? html`<${Link} href=${`/app/links/${encodeURIComponent(t.link.id)}`}>${t.link.title || t.link.slug}<//>`
              : html`<span class="hint">a deleted link</span>`}</td>
            <td class="num">${t.scans}</td><td class="num">${t.unique}</td></tr>`)}</tbody></table>`}
    </section>
  </div>`;
}
