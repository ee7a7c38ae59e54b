// The blog's GraphQL operations (API.md "GraphQL": lists are `{items, meta}`, `Post.comments`
// a plain list, oldest first; each mutation takes one `input`).
// Types generated from docs/schema.graphql (`npm run types:graphql`); never hand-written.
import { gql, type TypedDocumentNode } from '@apollo/client';
import type {
  AddCommentMutation, AddCommentMutationVariables, CreatePostMutation, CreatePostMutationVariables,
  PostQuery, PostQueryVariables, PostsQuery, PostsQueryVariables,
} from '../../api/graphql';

export const POSTS: TypedDocumentNode<PostsQuery, PostsQueryVariables> = gql`
  query Posts($page: Int!, $limit: Int!, $tag: String, $q: String) {
    posts(page: $page, limit: $limit, tag: $tag, q: $q) {
      items { id title tags commentCount createdAt author { id name } }
      meta { total page limit totalPages hasNext hasPrev }
    }
  }
`;

export const POST: TypedDocumentNode<PostQuery, PostQueryVariables> = gql`
  query Post($id: ID!) {
    post(id: $id) {
      id title body bodyHtml tags published commentCount createdAt
      author { id name }
      comments { id body createdAt author { id name } }
    }
  }
`;

export const CREATE_POST: TypedDocumentNode<CreatePostMutation, CreatePostMutationVariables> = gql`
  mutation CreatePost($input: CreatePostInput!) {
    createPost(input: $input) { id }
  }
`;

export const ADD_COMMENT: TypedDocumentNode<AddCommentMutation, AddCommentMutationVariables> = gql`
  mutation AddComment($input: AddCommentInput!) {
    addComment(input: $input) { id body createdAt author { id name } }
  }
`;
