import { useMutation, useQuery } from '@apollo/client';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import { Button } from '../../components/atoms/Button';
import { Spinner } from '../../components/atoms/Spinner';
import { formatDate } from '../../lib/format';
import { useSession } from '../../state/session';
import { GraphQLError } from './GraphQLError';
import { ADD_COMMENT, POST } from './queries';

export function PostPage() {
  const { id = '' } = useParams();
  const { data, loading, error } = useQuery(POST, { variables: { id } });
  const signedIn = useSession((s) => s.user !== null);
  const [body, setBody] = useState('');
  const [addComment, added] = useMutation(ADD_COMMENT, { refetchQueries: [{ query: POST, variables: { id } }], awaitRefetchQueries: true });
  if (loading && !data) return <Spinner />;
  if (error) return <GraphQLError error={error} />;
  const post = data?.post;
  if (!post) return <p>Post not found. <Link to="/blog">All posts</Link></p>;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!body.trim()) return;
    await addComment({ variables: { input: { postId: id, body: body.trim() } } });
    setBody('');
  };
  return (
    <article className="stack">
      <Link to="/blog">← All posts</Link>
      <header>
        <h1>{post.title}</h1>
        <p className="muted">{post.author.name} · {formatDate(post.createdAt)}</p>
      </header>
      {/* Sanitised by the server (API.md: bodyHtml). */}
      <div className="post-body card" dangerouslySetInnerHTML={{ __html: post.bodyHtml }} />
      <section>
        <h2>{post.comments.length} comments</h2>
        <ul className="plain stack">
          {post.comments.map((c) => (
            <li key={c.id} className="card" data-testid="comment">
              <p className="muted">{c.author.name} · {formatDate(c.createdAt)}</p>
              <p>{c.body}</p>
            </li>
          ))}
        </ul>
        {signedIn ? (
          <form onSubmit={submit} className="stack">
            <label htmlFor="comment">Add a comment</label>
            <textarea id="comment" className="input" data-testid="comment-input" value={body} onChange={(e) => setBody(e.target.value)} />
            {added.error && <GraphQLError error={added.error} />}
            <Button type="submit" data-testid="comment-button" busy={added.loading}>Comment</Button>
          </form>
        ) : (
          <p><Link to="/login" state={{ from: `/blog/${id}` }}>Log in</Link> to comment.</p>
        )}
      </section>
    </article>
  );
}
