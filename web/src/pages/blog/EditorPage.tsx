import { useMutation } from '@apollo/client';
import { useMemo, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { Button } from '../../components/atoms/Button';
import { FormField } from '../../components/molecules/FormField';
import { GraphQLError } from './GraphQLError';
import { renderMarkdown } from './markdown';
import { CREATE_POST } from './queries';

export function EditorPage() {
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [tags, setTags] = useState('');
  const [published, setPublished] = useState(true);
  const [create, state] = useMutation(CREATE_POST);
  const navigate = useNavigate();
  const preview = useMemo(() => renderMarkdown(body), [body]);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const tagList = tags.split(',').map((t) => t.trim()).filter(Boolean);
    const result = await create({ variables: { input: { title: title.trim(), body, tags: tagList, published } } }).catch(() => null);
    if (result?.data) navigate(`/blog/${result.data.createPost.id}`);
  };
  return (
    <form onSubmit={submit} className="stack">
      <h1>New post</h1>
      <FormField label="Title" testId="post-title-input" value={title} onChange={(e) => setTitle(e.target.value)} />
      <FormField label="Tags (comma separated)" value={tags} onChange={(e) => setTags(e.target.value)} />
      <div className="editor">
        <div className="field">
          <label htmlFor="post-body">Body (markdown)</label>
          <textarea id="post-body" className="input" data-testid="post-body-input" value={body} onChange={(e) => setBody(e.target.value)} />
        </div>
        <div>
          <p className="muted">Preview</p>
          <div className="post-body card" aria-live="polite" dangerouslySetInnerHTML={{ __html: preview }} />
        </div>
      </div>
      <label className="row"><input type="checkbox" checked={published} onChange={(e) => setPublished(e.target.checked)} /> Publish now</label>
      {state.error && <GraphQLError error={state.error} />}
      <Button type="submit" data-testid="publish-button" busy={state.loading}>Save post</Button>
    </form>
  );
}
