// Apollo Client for the blog (GraphQL at POST /graphql), with an auth link reading the same
// session as the REST client. Created on first use: the storefront never loads it.
import { ApolloClient, HttpLink, InMemoryCache, from } from '@apollo/client';
import { setContext } from '@apollo/client/link/context';
import { useSession } from '../state/session';

const authLink = setContext((_, { headers }) => {
  const token = useSession.getState().accessToken;
  return { headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } };
});

export const apollo = new ApolloClient({
  link: from([authLink, new HttpLink({ uri: '/graphql' })]),
  cache: new InMemoryCache(),
  defaultOptions: { watchQuery: { fetchPolicy: 'cache-and-network' } },
});
