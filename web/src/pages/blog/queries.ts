// The blog's GraphQL operations (API.md "GraphQL": lists are `{items, meta}`, `Post.comments`
// a plain list, oldest first; each mutation takes one `input`).
import { gql, type TypedDocumentNode } from '@apollo/client';
import type { PageMeta } from '../../api/types';

export interface Author { id: string; name: string }
export interface PostSummary { id: string; title: string; tags: string[]; author: Author; commentCount: number; createdAt: string }
export interface Comment { id: string; body: string; author: Author; createdAt: string }
export interface Post extends PostSummary { body: string; bodyHtml: string; published: boolean; comments: Comment[] }

export const POSTS: TypedDocumentNode<{ posts: { items: PostSummary[]; meta: PageMeta } }, { page: number; limit: number; tag?: string; q?: string }> = gql`
  query Posts($page: Int!, $limit: Int!, $tag: String, $q: String) {
    posts(page: $page, limit: $limit, tag: $tag, q: $q) {
      items { id title tags commentCount createdAt author { id name } }
      meta { total page limit totalPages hasNext hasPrev }
    }
  }
`;

export const POST: TypedDocumentNode<{ post: Post | null }, { id: string }> = gql`
  query Post($id: ID!) {
    post(id: $id) {
      id title body bodyHtml tags published commentCount createdAt
      author { id name }
      comments { id body createdAt author { id name } }
    }
  }
`;

export const CREATE_POST: TypedDocumentNode<{ createPost: { id: string } }, { input: { title: string; body: string; tags: string[]; published: boolean } }> = gql`
  mutation CreatePost($input: CreatePostInput!) {
    createPost(input: $input) { id }
  }
`;

export const ADD_COMMENT: TypedDocumentNode<{ addComment: Comment }, { input: { postId: string; body: string } }> = gql`
  mutation AddComment($input: AddCommentInput!) {
    addComment(input: $input) { id body createdAt author { id name } }
  }
`;
