//! Identity's part of the schema: the caller, users (email only for themselves and admins),
//! registration and login, over the identity use cases.

use agora_app::identity::{LoginInput as AppLogin, RegisterInput as AppRegister, UserListQuery};
use agora_domain::{
    identity::{Role, User as DomainUser},
    paging::SortOrder,
    ports::identity::{UserDirectory, UserFilter},
};
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::client_ip::ClientIp;

use super::{
    content::PostPage,
    gql_error, list_complexity,
    loaders::{load_error, PostCounts, UserPosts, UserPostsKey},
    page_request, parse_id, require_caller, service, services, GqlResult, Loader, PageMeta,
};

/// A user as the caller may see them: `email` (and account details) only for themselves and
/// admins, `null` for anyone else.
pub struct User {
    id: Uuid,
    name: String,
    role: Role,
    private: Option<PrivateFields>,
}

struct PrivateFields {
    email: String,
    is_verified: bool,
    created_at: DateTime<Utc>,
}

impl User {
    fn full(user: &DomainUser) -> Self {
        Self {
            id: user.id,
            name: user.name.as_str().to_owned(),
            role: user.role,
            private: Some(PrivateFields {
                email: user.email.as_str().to_owned(),
                is_verified: user.is_verified,
                created_at: user.created_at,
            }),
        }
    }
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.name
    }
    /// `user` or `admin`.
    async fn role(&self) -> &str {
        self.role.as_str()
    }
    /// Only for the user themselves and admins.
    async fn email(&self) -> Option<&str> {
        self.private.as_ref().map(|p| p.email.as_str())
    }
    /// Only for the user themselves and admins.
    async fn is_verified(&self) -> Option<bool> {
        self.private.as_ref().map(|p| p.is_verified)
    }
    /// Only for the user themselves and admins.
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.private.as_ref().map(|p| p.created_at)
    }
    /// How many posts they wrote, drafts included (admins, and the user themselves); resolved
    /// per query level in one batch, so an admin user list with post counts is two statements.
    async fn post_count(&self, ctx: &Context<'_>) -> GqlResult<Option<u64>> {
        if self.private.is_none() {
            return Ok(None);
        }
        let count = ctx
            .data_unchecked::<Loader<PostCounts>>()
            .load_one(self.id)
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
            user: self.id,
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
    items: Vec<DomainUser>,
    meta: PageMeta,
}

#[Object]
impl UserPage {
    async fn items(&self) -> Vec<User> {
        self.items.iter().map(User::full).collect()
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
        let user = identity.me(require_caller(ctx)?).await.map_err(gql_error)?;
        Ok(User::full(&user))
    }

    /// A user: everything for themselves and admins, the public profile for others.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> GqlResult<User> {
        let identity = service(&services(ctx).identity, "identity")?;
        let id = parse_id(&id)?;
        match super::caller(ctx) {
            Some(caller) if caller.user_id == id => {
                Ok(User::full(&identity.me(caller).await.map_err(gql_error)?))
            }
            Some(caller) if caller.is_admin() => Ok(User::full(
                &identity.get_user(caller, id).await.map_err(gql_error)?,
            )),
            _ => {
                let profile = identity
                    .profiles(&[id])
                    .await
                    .map_err(|e| gql_error(e.into()))?
                    .into_iter()
                    .next()
                    .ok_or_else(|| gql_error(agora_app::AppError::NotFound))?;
                Ok(User {
                    id: profile.id,
                    name: profile.name.as_str().to_owned(),
                    role: profile.role,
                    private: None,
                })
            }
        }
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
        let query = UserListQuery {
            filter: UserFilter::default(),
            sort: SortOrder {
                column: "created_at",
                descending: true,
            },
            page: request,
        };
        let page = identity
            .list_users(require_caller(ctx)?, query)
            .await
            .map_err(gql_error)?;
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
        let user = identity
            .register(AppRegister {
                email: Some(input.email),
                password: Some(input.password),
                name: Some(input.name),
                age: input.age,
                role: Role::User,
            })
            .await
            .map_err(gql_error)?;
        Ok(User::full(&user))
    }

    /// Logs in (Bearer tokens, as REST's login).
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> GqlResult<Session> {
        let identity = service(&services(ctx).identity, "identity")?;
        let session = identity
            .login(AppLogin {
                email: Some(input.email),
                password: Some(input.password),
                ip: ctx.data_opt::<ClientIp>().and_then(|ip| ip.0.clone()),
            })
            .await
            .map_err(gql_error)?;
        Ok(Session {
            access_token: session.access_token,
            refresh_token: session.refresh_token,
            token_type: "Bearer".into(),
            expires_in: session.expires_in,
            user: User::full(&session.user),
        })
    }
}
