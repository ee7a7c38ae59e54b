import { useQuery } from '@apollo/client';
import { Link, useSearchParams } from 'react-router-dom';
import { Spinner } from '../../components/atoms/Spinner';
import { Pagination } from '../../components/molecules/Pagination';
import { formatDate } from '../../lib/format';
import { useSession } from '../../state/session';
import { GraphQLError } from './GraphQLError';
import { POSTS } from './queries';

export function BlogListPage() {
  const [params, setParams] = useSearchParams();
  const page = Number(params.get('page') ?? '1') || 1;
  const tag = params.get('tag');
  const signedIn = useSession((s) => s.user !== null);
  const { data, loading, error } = useQuery(POSTS, { variables: { page, limit: 10, tag, q: null } });
  return (
    <section>
      <div className="row between">
        <h1>Blog{tag ? ` · #${tag}` : ''}</h1>
        {signedIn && <Link to="/blog/new" className="btn btn-primary">Write a post</Link>}
      </div>
      {error && <GraphQLError error={error} />}
      {loading && !data && <Spinner />}
      <div className="stack">
        {data?.posts.items.map((p) => (
          <article key={p.id} className="card" data-testid="post-card">
            <h2><Link to={`/blog/${p.id}`}>{p.title}</Link></h2>
            <p className="muted">{p.author.name} · {formatDate(p.createdAt)} · {p.commentCount} comments</p>
            <div className="tags">{p.tags.map((t) => <Link key={t} to={`/blog?tag=${encodeURIComponent(t)}`}>#{t}</Link>)}</div>
          </article>
        ))}
      </div>
      {data && <Pagination meta={data.posts.meta} onPage={(n) => setParams({ page: String(n), ...(tag ? { tag } : {}) })} />}
    </section>
  );
}
