// The lists: links and codes, searchable and filterable, paged through connections.
import { gql } from "/static/js/api.js";
import {
  html, useState, useQuery, Link, ErrorText, CopyButton, Status, local, useDebounced,
} from "/static/js/ui.js";

const PAGE = 20;
const STATUSES = ["", "ACTIVE", "DISABLED", "SCHEDULED", "EXPIRED", "EXHAUSTED"];

// Cursor paging: `after` of each page seen, so Previous goes back without offsets.
function usePages(filterKey) {
  const [pages, setPages] = useState({ key: filterKey, cursors: [null] });
  const cursors = pages.key === filterKey ? pages.cursors : [null];
  return {
    after: cursors[cursors.length - 1],
    number: cursors.length,
    next: (cursor) => setPages({ key: filterKey, cursors: [...cursors, cursor] }),
    previous: () => setPages({ key: filterKey, cursors: cursors.slice(0, -1) }),
  };
}

function Pager({ pages, pageInfo, total, noun }) {
  return html`<div class="pager">
    <span>${total} ${noun}${total === 1 ? "" : "s"} · page ${pages.number}</span>
    <button type="button" disabled=${pages.number === 1} onClick=${pages.previous}>Previous</button>
    <button type="button" disabled=${!pageInfo.hasNextPage}
      onClick=${() => pages.next(pageInfo.endCursor)}>Next</button>
  </div>`;
}

const LINKS = `query Links($first: Int, $after: String, $filter: LinkFilter) {
  links(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id slug shortUrl destination title tags status scanCount uniqueScanCount } }
  }
}`;

// A small plain code of each short URL on the page, for a quick test scan: one request with
// an alias per link (a page is at most PAGE, under the API's alias limit).
function useThumbnails(links) {
  const urls = links ? links.map((l) => l.shortUrl) : [];
  const [thumbs] = useQuery(async () => {
    if (!urls.length) return {};
    const fields = urls.map((_, i) => `t${i}: renderQr(input: $i${i}) { dataUri }`);
    const variables = Object.fromEntries(urls.map((u, i) => [`i${i}`,
      { dataType: "TEXT", data: { text: u }, format: "PNG", size: 96, style: { margin: 2 } }]));
    const query = `query(${urls.map((_, i) => `$i${i}: RenderQrInput!`).join(", ")}) {
      ${fields.join(" ")} }`;
    const data = await gql(query, variables).catch(() => ({}));
    return Object.fromEntries(urls.map((u, i) => [u, data[`t${i}`] && data[`t${i}`].dataUri]));
  }, [urls.join(" ")]);
  return thumbs || {};
}

export function LinksView() {
  const [search, setSearch] = useState("");
  const [tag, setTag] = useState("");
  const [status, setStatus] = useState("");
  const typedSearch = useDebounced(search), typedTag = useDebounced(tag);
  const filter = { search: typedSearch || null, tag: typedTag || null, status: status || null };
  const pages = usePages(JSON.stringify(filter));
  const [data, error, loading] = useQuery(
    () => gql(LINKS, { first: PAGE, after: pages.after, filter }),
    [typedSearch, typedTag, status, pages.after],
  );
  const thumbs = useThumbnails(data && data.links.edges.map((e) => e.node));
  return html`<section>
    <h1>Links <${Link} href="/app/links/new" class="button">New link<//></h1>
    <div class="filters">
      <input type="search" name="search" placeholder="Search slug, title, destination"
        value=${search} onInput=${(e) => setSearch(e.target.value)} />
      <input name="tag" placeholder="Tag" value=${tag} onInput=${(e) => setTag(e.target.value)} />
      <select name="status" value=${status} onChange=${(e) => setStatus(e.target.value)}>
        ${STATUSES.map((s) => html`<option value=${s}>${s || "Any status"}</option>`)}
      </select>
    </div>
    <${ErrorText} error=${error} />
    ${data && html`<table class="list" id="links">
      <thead><tr><th></th><th>Link</th><th>Short URL</th><th>Destination</th><th>Status</th>
        <th class="num">Scans</th><th class="num">Unique</th></tr></thead>
      <tbody>${data.links.edges.map(({ node }) => html`<tr>
        <td>${thumbs[node.shortUrl]
          ? html`<img class="thumb" src=${thumbs[node.shortUrl]} width="48" height="48" alt="" />`
          : html`<span class="thumb-space"></span>`}</td>
        <td><${Link} href=${`/app/links/${encodeURIComponent(node.id)}`}>${node.title || node.slug}<//>
          ${node.tags.map((t) => html` <span class="tag">${t}</span>`)}</td>
        <td><code data-copy=${node.shortUrl}>${node.shortUrl}</code> <${CopyButton} text=${node.shortUrl} /></td>
        <td class="destination" title=${node.destination}>${node.destination}</td>
        <td><${Status} status=${node.status} /></td>
        <td class="num">${node.scanCount}</td><td class="num">${node.uniqueScanCount}</td>
      </tr>`)}</tbody>
    </table>
    ${data.links.totalCount === 0 && html`<p class="empty">No links${search || tag || status ? " match" : " yet"}.</p>`}
    <${Pager} pages=${pages} pageInfo=${data.links.pageInfo} total=${data.links.totalCount} noun="link" />`}
    ${loading && !data && html`<p class="loading">Loading…</p>`}
  </section>`;
}

const CODES = `query Codes($first: Int, $after: String, $filter: QrCodeFilter) {
  qrCodes(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id name kind dataType encodedText createdAt
      imageUrl(format: PNG, size: 96)
      link { id shortUrl status scanCount uniqueScanCount } } }
  }
}`;

export function CodesView() {
  const [search, setSearch] = useState("");
  const [kind, setKind] = useState("");
  const typedSearch = useDebounced(search);
  const filter = { search: typedSearch || null, kind: kind || null };
  const pages = usePages(JSON.stringify(filter));
  const [data, error, loading] = useQuery(
    () => gql(CODES, { first: PAGE, after: pages.after, filter }),
    [typedSearch, kind, pages.after],
  );
  return html`<section>
    <h1>Codes <${Link} href="/app/codes/new" class="button">New code<//></h1>
    <div class="filters">
      <input type="search" name="search" placeholder="Search by name"
        value=${search} onInput=${(e) => setSearch(e.target.value)} />
      <select name="kind" value=${kind} onChange=${(e) => setKind(e.target.value)}>
        <option value="">Static and dynamic</option>
        <option value="STATIC">Static</option>
        <option value="DYNAMIC">Dynamic (tracked)</option>
      </select>
    </div>
    <${ErrorText} error=${error} />
    ${data && html`<table class="list" id="codes">
      <thead><tr><th></th><th>Name</th><th>Type</th><th>Short URL / content</th><th>Status</th>
        <th class="num">Scans</th><th class="num">Unique</th></tr></thead>
      <tbody>${data.qrCodes.edges.map(({ node }) => html`<tr>
        <td><img class="thumb" src=${local(node.imageUrl)} width="48" height="48" alt="" loading="lazy" /></td>
        <td><${Link} href=${`/app/codes/${encodeURIComponent(node.id)}`}>${node.name}<//></td>
        <td>${node.dataType}${node.kind === "DYNAMIC" ? " · dynamic" : ""}</td>
        <td>${node.link
          ? html`<code data-copy=${node.link.shortUrl}>${node.link.shortUrl}</code> <${CopyButton} text=${node.link.shortUrl} />
              <${Link} href=${`/app/links/${encodeURIComponent(node.link.id)}`} class="small">analytics<//>`
          : html`<span class="encoded" title=${node.encodedText}>${node.encodedText}</span>`}</td>
        <td>${node.link ? html`<${Status} status=${node.link.status} />` : "static"}</td>
        <td class="num">${node.link ? node.link.scanCount : "–"}</td>
        <td class="num">${node.link ? node.link.uniqueScanCount : "–"}</td>
      </tr>`)}</tbody>
    </table>
    ${data.qrCodes.totalCount === 0 && html`<p class="empty">No codes${search || kind ? " match" : " yet"}.</p>`}
    <${Pager} pages=${pages} pageInfo=${data.qrCodes.pageInfo} total=${data.qrCodes.totalCount} noun="code" />`}
    ${loading && !data && html`<p class="loading">Loading…</p>`}
  </section>`;
}
