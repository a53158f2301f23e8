// Queries go to /graphql; a token goes in the Headers tab:
// {"Authorization": "Bearer …"}. Subscriptions use the same path over WebSocket.
const here = new URL("/graphql", window.location.origin);
const ws = new URL(here);
ws.protocol = here.protocol === "https:" ? "wss:" : "ws:";
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher: GraphiQL.createFetcher({ url: here.toString(), subscriptionUrl: ws.toString() }),
    defaultEditorToolsVisibility: true,
    defaultQuery: '{ ecosystems { slug name } }\n',
  })
);
