// GraphiQL from the vendored bundle (no CDN). Queries go to /graphql with the dashboard's
// key when this tab has one, else with the Authorization header typed into the editor.
import { getKey } from "/static/js/api.js";

const key = getKey();
const headers = JSON.stringify({ Authorization: `Bearer ${key || "qrf_paste_your_key"}` }, null, 2);

async function fetcher(params, options) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json",
      ...((options && options.headers) || {}) },
    body: JSON.stringify(params),
  });
  return response.json();
}

function start() {
  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultHeaders: headers,
      headers,
      shouldPersistHeaders: false,
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: key ? false : "headers",
      defaultQuery: "{\n  viewer {\n    workspace { name }\n    scopes\n  }\n}\n",
    }),
  );
}

// The UMD scripts are deferred, as is this module: they have all run by DOMContentLoaded.
if (document.readyState === "loading") addEventListener("DOMContentLoaded", start);
else start();
