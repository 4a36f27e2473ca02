// GraphiQL from the vendored bundle (no CDN). Queries go to /graphql with the dashboard's
// key when this tab has one, else with the Authorization header typed into the editor.
import { getKey, subscribe } from "/static/js/api.js";

const key = getKey();
const headers = JSON.stringify({ Authorization: `Bearer ${key || "qrf_paste_your_key"}` }, null, 2);

// A subscription's results as an async iterator, over the dashboard's graphql-transport-ws
// client: GraphiQL shows each as it comes.
function subscription(params, authorization) {
  const queue = [];
  let wake = null, done = false, stop = null;
  const push = (item) => {
    queue.push(item);
    if (wake) wake();
  };
  stop = subscribe(params.query, params.variables || {}, {
    authorization,
    onData: (data) => push({ data }),
    onError: (error) => {
      push({ errors: [{ message: error.message, extensions: { code: error.code } }] });
      done = true;
    },
  });
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      while (!queue.length && !done) await new Promise((resolve) => (wake = resolve));
      if (queue.length) return { value: queue.shift(), done: false };
      return { value: undefined, done: true };
    },
    async return() {
      done = true;
      stop();
      return { value: undefined, done: true };
    },
  };
}

const isSubscription = (params) =>
  /^\s*subscription\b/m.test((params.query || "").replace(/#[^\n]*/g, ""));

async function fetcher(params, options) {
  const given = (options && options.headers) || {};
  if (isSubscription(params)) {
    return subscription(params, given.Authorization || given.authorization);
  }
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
