import type { ApolloError } from '@apollo/client';

/** A GraphQL failure, with the REST code the server puts in `extensions.code`. */
export function GraphQLError({ error }: { error: ApolloError }) {
  const first = error.graphQLErrors[0];
  const code = first?.extensions?.code;
  const message =
    code === 'rate_limited' ? 'Too many requests — try again in a minute.' : first?.message ?? 'Network error — check your connection.';
  return <div className="notice notice-error" role="alert">{message}</div>;
}
