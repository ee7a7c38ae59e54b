export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /**
   * Implement the DateTime<Utc> scalar
   *
   * The input/output is a string in RFC3339 format.
   */
  DateTime: { input: string; output: string; }
};

/** `addComment(input: …)`. */
export type AddCommentInput = {
  body: Scalars['String']['input'];
  postId: Scalars['ID']['input'];
};

/** `createPost(input: …)`. */
export type CreatePostInput = {
  body: Scalars['String']['input'];
  published: Scalars['Boolean']['input'];
  tags: Array<Scalars['String']['input']>;
  title: Scalars['String']['input'];
};

/** `login(input: …)`. */
export type LoginInput = {
  email: Scalars['String']['input'];
  password: Scalars['String']['input'];
};

/** `placeOrder(input: …)`. */
export type PlaceOrderInput = {
  /** As REST's `Idempotency-Key`: the same key places one order only. */
  idempotencyKey: Scalars['String']['input'];
  note: InputMaybe<Scalars['String']['input']>;
};

/** `register(input: …)`. */
export type RegisterInput = {
  age: InputMaybe<Scalars['Int']['input']>;
  email: Scalars['String']['input'];
  name: Scalars['String']['input'];
  password: Scalars['String']['input'];
};

/** `setCartItem(input: …)`. */
export type SetCartItemInput = {
  productId: Scalars['ID']['input'];
  /** 1–99. */
  quantity: Scalars['Int']['input'];
};

/** `updatePost(input: …)`: given fields change. */
export type UpdatePostInput = {
  body: InputMaybe<Scalars['String']['input']>;
  id: Scalars['ID']['input'];
  published: InputMaybe<Scalars['Boolean']['input']>;
  tags: InputMaybe<Array<Scalars['String']['input']>>;
  title: InputMaybe<Scalars['String']['input']>;
};

export type PostsQueryVariables = Exact<{
  page: Scalars['Int']['input'];
  limit: Scalars['Int']['input'];
  tag: InputMaybe<Scalars['String']['input']>;
  q: InputMaybe<Scalars['String']['input']>;
}>;


export type PostsQuery = { __typename?: 'Query', posts: { __typename?: 'PostPage', items: Array<{ __typename?: 'Post', id: string, title: string, tags: Array<string>, commentCount: number, createdAt: string, author: { __typename?: 'Author', id: string, name: string } }>, meta: { __typename?: 'PageMeta', total: number, page: number, limit: number, totalPages: number, hasNext: boolean, hasPrev: boolean } } };

export type PostQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type PostQuery = { __typename?: 'Query', post: { __typename?: 'Post', id: string, title: string, body: string, bodyHtml: string, tags: Array<string>, published: boolean, commentCount: number, createdAt: string, author: { __typename?: 'Author', id: string, name: string }, comments: Array<{ __typename?: 'Comment', id: string, body: string, createdAt: string, author: { __typename?: 'Author', id: string, name: string } }> } };

export type CreatePostMutationVariables = Exact<{
  input: CreatePostInput;
}>;


export type CreatePostMutation = { __typename?: 'Mutation', createPost: { __typename?: 'Post', id: string } };

export type AddCommentMutationVariables = Exact<{
  input: AddCommentInput;
}>;


export type AddCommentMutation = { __typename?: 'Mutation', addComment: { __typename?: 'Comment', id: string, body: string, createdAt: string, author: { __typename?: 'Author', id: string, name: string } } };
