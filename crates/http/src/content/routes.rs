use std::collections::HashMap;

use agora_app::content::{Content, NewPostInput, PostChange, PostListInput};
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use utoipa::{
    openapi::path::{Parameter, ParameterIn},
    IntoParams, OpenApi,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::dto::{
    CommentDto, CommentList, NewCommentBody, NewPostBody, PostDto, PostFilterParams, PostPatchBody,
    POST_FIELDS,
};
use crate::{
    auth::{AuthUser, MaybeAuthUser},
    identity::path_id,
    openapi::{
        BadRequest, Forbidden, NotFound, PayloadTooLarge, TooManyRequests, Unauthorized,
        UnsupportedMediaType,
    },
    paging::{ListSpec, Paged, Paginated},
    ApiError, ApiJson,
};

type ApiResult<T> = Result<T, ApiError>;

/// Every content route, each declared once with its OpenAPI operation.
pub fn api() -> OpenApiRouter<Content> {
    OpenApiRouter::with_openapi(ContentApi::openapi())
        .routes(routes!(list, create))
        .routes(routes!(one, update, delete))
        .routes(routes!(comments, add_comment))
        .routes(routes!(delete_comment))
}

#[derive(OpenApi)]
#[openapi(tags(
    (name = "content", description = "Blog posts (markdown, tags, drafts) and comments.")
))]
struct ContentApi;

/// Posts are listed newest first; `sort` accepts only that.
const POST_LIST: ListSpec = ListSpec {
    sortable: &[("createdAt", "created_at")],
    default_sort: "-createdAt",
    fields: POST_FIELDS,
};

struct PostListParams;

impl IntoParams for PostListParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        POST_LIST.openapi_params()
    }
}

/// Posts the caller may read (published, their own drafts; every post for admins), newest first
#[utoipa::path(get, path = "/api/posts", operation_id = "list_posts", tag = "content",
    security((), ("bearerAuth" = [])),
    params(PostListParams, PostFilterParams),
    responses(
        (status = 200, description = "One page of posts, each with its author and comment count", body = Paginated<PostDto>, links(
            ("GetFirstPost" = (operation_id = "get_post", parameters(("id" = "$response.body#/data/0/id"))))
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyRequests)
    )
)]
async fn list(
    State(content): State<Content>,
    MaybeAuthUser(caller): MaybeAuthUser,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let request = POST_LIST.parse(&query)?;
    let input = PostListInput {
        page: request.page,
        author: query.get("author").cloned(),
        tag: query.get("tag").cloned(),
        q: query.get("q").cloned(),
    };
    let page = content.list(caller.as_ref(), &input).await?;
    let dtos = page.map(|view| PostDto::from(&view));
    Ok(Json(Paged::new(dtos, &request)).into_response())
}

/// Write a post; publishing needs a verified email, a draft does not
#[utoipa::path(post, path = "/api/posts", operation_id = "create_post", tag = "content",
    security(("bearerAuth" = [])),
    request_body(content = NewPostBody),
    responses(
        (status = 201, description = "Created", body = PostDto, links(
            ("GetPost" = (operation_id = "get_post", parameters(("id" = "$response.body#/id"))))
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests)
    )
)]
async fn create(
    State(content): State<Content>,
    AuthUser(user): AuthUser,
    ApiJson(body): ApiJson<NewPostBody>,
) -> ApiResult<Response> {
    let input = NewPostInput {
        title: body.title.unwrap_or_default(),
        body: body.body.unwrap_or_default(),
        tags: body.tags.unwrap_or_default(),
        published: body.published.unwrap_or(false),
    };
    let view = content.create(&user, input).await?;
    Ok((StatusCode::CREATED, Json(PostDto::from(&view))).into_response())
}

/// One post (someone else's draft is 404)
#[utoipa::path(get, path = "/api/posts/{id}", operation_id = "get_post", tag = "content",
    security((), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Post id")),
    responses(
        (status = 200, description = "The post", body = PostDto),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests)
    )
)]
async fn one(
    State(content): State<Content>,
    MaybeAuthUser(caller): MaybeAuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<PostDto>> {
    let view = content.post(caller.as_ref(), path_id(&id)?).await?;
    Ok(Json(PostDto::from(&view)))
}

/// Edit a post (its author or an admin)
#[utoipa::path(patch, path = "/api/posts/{id}", operation_id = "update_post", tag = "content",
    security(("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Post id")),
    request_body(content = PostPatchBody),
    responses(
        (status = 200, description = "The edited post", body = PostDto),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests)
    )
)]
async fn update(
    State(content): State<Content>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PostPatchBody>,
) -> ApiResult<Json<PostDto>> {
    let change = PostChange {
        title: body.title,
        body: body.body,
        tags: body.tags,
        published: body.published,
    };
    let view = content.update(&user, path_id(&id)?, change).await?;
    Ok(Json(PostDto::from(&view)))
}

/// Delete a post and its comments (its author or an admin)
#[utoipa::path(delete, path = "/api/posts/{id}", operation_id = "delete_post", tag = "content",
    security(("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Post id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests)
    )
)]
async fn delete(
    State(content): State<Content>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    content.delete(&user, path_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The comments of a post, oldest first
#[utoipa::path(get, path = "/api/posts/{id}/comments", operation_id = "list_comments", tag = "content",
    security((), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Post id")),
    responses(
        (status = 200, description = "Every comment of the post", body = CommentList),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests)
    )
)]
async fn comments(
    State(content): State<Content>,
    MaybeAuthUser(caller): MaybeAuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<CommentList>> {
    let comments = content.comments(caller.as_ref(), path_id(&id)?).await?;
    Ok(Json(CommentList {
        data: comments.iter().map(CommentDto::from).collect(),
    }))
}

/// Comment on a post (needs a verified email)
#[utoipa::path(post, path = "/api/posts/{id}/comments", operation_id = "add_comment", tag = "content",
    security(("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Post id")),
    request_body(content = NewCommentBody),
    responses(
        (status = 201, description = "Created", body = CommentDto, links(
            ("DeleteComment" = (operation_id = "delete_comment", parameters(("id" = "$response.body#/id"))))
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests)
    )
)]
async fn add_comment(
    State(content): State<Content>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewCommentBody>,
) -> ApiResult<Response> {
    let post_id = path_id(&id)?;
    let view = content
        .add_comment(&user, post_id, body.body.as_deref().unwrap_or_default())
        .await?;
    Ok((StatusCode::CREATED, Json(CommentDto::from(&view))).into_response())
}

/// Delete a comment (its author or an admin)
#[utoipa::path(delete, path = "/api/comments/{id}", operation_id = "delete_comment", tag = "content",
    security(("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Comment id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests)
    )
)]
async fn delete_comment(
    State(content): State<Content>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    content.delete_comment(&user, path_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
