//! Identity's part of the schema: the caller, users (email only for themselves and admins),
//! registration and login, over the identity use cases.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::{
    content::PostPage,
    failure, list_complexity,
    loaders::{load_error, PostCounts, UserPosts, UserPostsKey},
    page_request, parse_id,
    ports::{Registration, UserView},
    scope, service, services, GqlResult, Loader, PageMeta,
};

/// A user as the caller may see them: `email` (and account details) only for themselves and
/// admins, `null` for anyone else.
pub struct User(UserView);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// `user` or `admin`.
    async fn role(&self) -> &str {
        &self.0.role
    }
    /// Only for the user themselves and admins.
    async fn email(&self) -> Option<&str> {
        self.0.private.as_ref().map(|p| p.email.as_str())
    }
    /// Only for the user themselves and admins.
    async fn is_verified(&self) -> Option<bool> {
        self.0.private.as_ref().map(|p| p.is_verified)
    }
    /// Only for the user themselves and admins.
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.0.private.as_ref().map(|p| p.created_at)
    }
    /// How many posts they wrote, drafts included (admins, and the user themselves); resolved
    /// per query level in one batch, so an admin user list with post counts is two statements.
    async fn post_count(&self, ctx: &Context<'_>) -> GqlResult<Option<u64>> {
        if self.0.private.is_none() {
            return Ok(None);
        }
        let count = ctx
            .data_unchecked::<Loader<PostCounts>>()
            .load_one(self.0.id)
            .await
            .map_err(load_error)?;
        Ok(Some(count.unwrap_or(0)))
    }
    /// Their posts the caller may read, newest first; resolved per query level in one batch.
    #[graphql(complexity = "list_complexity(child_complexity, limit)")]
    async fn posts(
        &self,
        ctx: &Context<'_>,
        page: Option<i32>,
        limit: Option<i32>,
    ) -> GqlResult<PostPage> {
        let request = page_request(page, limit)?;
        let key = UserPostsKey {
            user: self.0.id,
            page: request.page,
            limit: request.limit,
        };
        let page = ctx
            .data_unchecked::<Loader<UserPosts>>()
            .load_one(key)
            .await
            .map_err(load_error)?
            .unwrap_or(agora_domain::paging::Page {
                items: Vec::new(),
                total: 0,
            });
        Ok(PostPage {
            meta: PageMeta::new(page.total, request),
            items: page.items,
        })
    }
}

/// A page of users.
pub struct UserPage {
    items: Vec<UserView>,
    meta: PageMeta,
}

#[Object]
impl UserPage {
    async fn items(&self) -> Vec<User> {
        self.items.iter().cloned().map(User).collect()
    }
    async fn meta(&self) -> &PageMeta {
        &self.meta
    }
}

/// Identity's queries.
#[derive(Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// The caller.
    async fn me(&self, ctx: &Context<'_>) -> GqlResult<User> {
        let identity = service(&services(ctx).identity, "identity")?;
        super::require_caller(ctx)?;
        Ok(User(identity.me(scope(ctx)).await.map_err(failure)?))
    }

    /// A user: everything for themselves and admins, the public profile for others.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> GqlResult<User> {
        let identity = service(&services(ctx).identity, "identity")?;
        let id = parse_id(&id)?;
        Ok(User(identity.user(scope(ctx), id).await.map_err(failure)?))
    }

    /// Every user, newest first (admins).
    #[graphql(complexity = "list_complexity(child_complexity, limit)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        page: Option<i32>,
        limit: Option<i32>,
    ) -> GqlResult<UserPage> {
        let identity = service(&services(ctx).identity, "identity")?;
        let request = page_request(page, limit)?;
        super::require_caller(ctx)?;
        let page = identity
            .users(scope(ctx), request.page, request.limit)
            .await
            .map_err(failure)?;
        Ok(UserPage {
            meta: PageMeta::new(page.total, request),
            items: page.items,
        })
    }
}

/// `register(input: …)`.
#[derive(InputObject)]
pub struct RegisterInput {
    email: String,
    password: String,
    name: String,
    age: Option<i64>,
}

/// `login(input: …)`.
#[derive(InputObject)]
pub struct LoginInput {
    email: String,
    password: String,
}

/// A new session, as REST's login answers it.
#[derive(SimpleObject)]
pub struct Session {
    access_token: String,
    refresh_token: String,
    token_type: String,
    expires_in: u64,
    user: User,
}

/// Identity's mutations.
#[derive(Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// Registers an account (unverified; a verification mail is sent).
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> GqlResult<User> {
        let identity = service(&services(ctx).identity, "identity")?;
        let input = Registration {
            email: input.email,
            password: input.password,
            name: input.name,
            age: input.age,
        };
        let user = identity
            .register(scope(ctx), input)
            .await
            .map_err(failure)?;
        Ok(User(user))
    }

    /// Logs in (Bearer tokens, as REST's login).
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> GqlResult<Session> {
        let identity = service(&services(ctx).identity, "identity")?;
        let session = identity
            .login(scope(ctx), input.email, input.password)
            .await
            .map_err(failure)?;
        Ok(Session {
            access_token: session.access_token,
            refresh_token: session.refresh_token,
            token_type: "Bearer".into(),
            expires_in: session.expires_in,
            user: User(session.user),
        })
    }
}
