// GraphiQL at GET /graphql, built from the npm package into this origin's assets: it works
// offline and loads nothing from a CDN. Requests carry the web app's session token, if any.
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/graphiql.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

function bearer(): Record<string, string> {
  try {
    const token = JSON.parse(localStorage.getItem('user-storage') ?? '{}')?.state?.accessToken;
    return token ? { authorization: `Bearer ${token}` } : {};
  } catch {
    return {};
  }
}

const fetcher = createGraphiQLFetcher({ url: '/graphql', headers: bearer() });

createRoot(document.getElementById('graphiql') as HTMLElement).render(
  <StrictMode>
    <div style={{ height: '100vh' }}>
      <GraphiQL fetcher={fetcher} defaultQuery={'{\n  products(limit: 5) {\n    items { id name }\n    meta { total }\n  }\n}\n'} />
    </div>
  </StrictMode>,
);
