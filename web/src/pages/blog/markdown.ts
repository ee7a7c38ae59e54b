import DOMPurify from 'dompurify';
import { marked } from 'marked';

/** The editor's preview: markdown to HTML, sanitised (the server sanitises what it stores too). */
export function renderMarkdown(source: string): string {
  return DOMPurify.sanitize(marked.parse(source, { async: false }));
}
