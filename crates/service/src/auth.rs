//! Sign-in, sessions, bearer tokens and passwords.

use crate::{Actor, Result, Service, ServiceError};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};
use zhifa_domain::change::Change;
use zhifa_domain::ids::{AgencyId, TokenId, UserId};
use zhifa_domain::people::{Role, check_password_strength};
use zhifa_domain::region::RegionCode;
use zhifa_store::{TokenRow, UserRow};

/// How long a session lasts after sign-in.
pub const SESSION_TTL: SignedDuration = SignedDuration::from_hours(12);
/// Bearer tokens start with this, so that a leaked one is easy to recognise.
pub const TOKEN_PREFIX: &str = "zft_";

/// A signed-in user as the rest of the system sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: UserId,
    pub username: String,
    pub name: String,
    pub role: Role,
    pub agency_id: AgencyId,
    pub agency_name: String,
    pub agency_region: RegionCode,
}

/// A new session: the cookie value and the CSRF token of its forms.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session_token: String,
    pub csrf_token: String,
    pub principal: Principal,
}

fn random_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ServiceError::caused("random", e))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// SHA-256 of a secret, in hex: what the database keeps of tokens and sessions.
pub fn secret_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// argon2id with the crate's recommended parameters, off the async threads.
pub async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::caused("hash password", e))
    })
    .await
    .map_err(|e| ServiceError::internal(e.to_string()))?
}

async fn verify_password(password: &str, hash: Option<String>) -> bool {
    // Without a stored hash, still spend the time of a check so that timing
    // does not tell which usernames exist.
    const DUMMY: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3nJ9Hq8Gv0fBq4ZgmNnGg0vJqgY5nS3nXh3jL1aCj3M";
    let (hash, real) = match hash {
        Some(h) => (h, true),
        None => (DUMMY.to_owned(), false),
    };
    let password = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || {
        Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok()
    })
    .await
    .unwrap_or(false);
    ok && real
}

impl Service {
    /// Who `row` is when signed in: `None` if the user or their agency is inactive or gone.
    pub async fn principal_of(&self, row: &UserRow) -> Result<Option<Principal>> {
        if !row.user.data.active {
            return Ok(None);
        }
        let Some(agency) = self.store.agency(row.user.agency_id).await? else {
            return Ok(None);
        };
        Ok(Some(Principal {
            user_id: row.user.id,
            username: row.user.data.username.to_string(),
            name: row.user.data.name.clone(),
            role: row.user.data.role,
            agency_id: agency.id,
            agency_name: agency.data.name,
            agency_region: agency.data.region,
        }))
    }

    pub async fn principal(&self, user: UserId) -> Result<Option<Principal>> {
        match self.store.user(user).await? {
            Some(row) => self.principal_of(&row).await,
            None => Ok(None),
        }
    }

    /// Check a password and start a session, for a client at `client` (its
    /// address). After a few wrong passwords for this user from this address,
    /// or many from this address, an attempt within the growing delay is
    /// refused unchecked ([`zhifa_domain::sign_in`]).
    pub async fn sign_in(&self, username: &str, password: &str, client: &str) -> Result<SignedIn> {
        use zhifa_domain::sign_in::{Failures, WINDOW_SECS, asvs_6_3_sign_in_wait};
        let username = username.trim();
        let client: String = client.chars().take(64).collect();
        let now = self.now();
        let since = now - SignedDuration::from_secs(WINDOW_SECS);
        let failures = |(count, last): (i64, Option<Timestamp>)| Failures {
            count,
            last_age_secs: last.map_or(WINDOW_SECS, |l| now.duration_since(l).as_secs()),
        };
        let pair = failures(self.store.login_failures_since(Some(username), &client, since).await?);
        let address = failures(self.store.login_failures_since(None, &client, since).await?);
        if let Some(wait) = asvs_6_3_sign_in_wait(pair, address) {
            tracing::warn!(%username, %client, wait, "sign-in refused unchecked: wait");
            return Err(ServiceError::Throttled(wait));
        }
        let row = self.store.user_by_username(username).await?;
        let hash = row.as_ref().and_then(|r| r.password_hash.clone());
        let verified = verify_password(password, hash).await;
        let principal = match (&row, verified) {
            (Some(row), true) => self.principal_of(row).await?,
            _ => None,
        };
        let Some(principal) = principal else {
            self.commit_one(
                &Actor::System("sign-in"),
                "登录失败",
                Change::SignInFailed { username: username.chars().take(64).collect(), client: client.clone() },
            )
            .await?;
            tracing::warn!(%username, %client, "sign-in failed: wrong user name or password");
            return Err(ServiceError::BadCredentials);
        };
        let session_token = random_token()?;
        let csrf_token = random_token()?;
        let expires_at = now.checked_add(SESSION_TTL).map_err(|e| ServiceError::internal(e.to_string()))?;
        self.commit_one(
            &Actor::User(principal.clone()),
            "登录",
            Change::SignIn {
                user: principal.user_id,
                session_hash: secret_hash(&session_token),
                csrf_token: csrf_token.clone(),
                expires_at,
            },
        )
        .await?;
        Ok(SignedIn { session_token, csrf_token, principal })
    }

    /// The user and CSRF token of a live session.
    pub async fn session(&self, session_token: &str) -> Result<Option<(Principal, String)>> {
        let Some(session) = self.store.session(&secret_hash(session_token), self.now()).await? else {
            return Ok(None);
        };
        Ok(self.principal(session.user_id).await?.map(|p| (p, session.csrf_token)))
    }

    pub async fn sign_out(&self, principal: &Principal, session_token: &str) -> Result<()> {
        let change = Change::SignOut { session_hash: secret_hash(session_token) };
        match self.commit_one(&Actor::User(principal.clone()), "退出登录", change).await {
            Ok(_) | Err(ServiceError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The user of a bearer token, unless it was revoked.
    pub async fn token_principal(&self, token: &str) -> Result<Option<Principal>> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        match self.store.token_by_hash(&secret_hash(token)).await? {
            Some(row) if row.revoked_at.is_none() => self.principal(row.user_id).await,
            _ => Ok(None),
        }
    }

    /// Who may manage `user`'s password and tokens: the user, or whoever
    /// manages the user's agency's people.
    async fn check_manage_user(&self, actor: &Actor, user: UserId) -> Result<UserRow> {
        let row = self.store.user(user).await?.ok_or(ServiceError::NotFound)?;
        if matches!(actor, Actor::User(p) if p.user_id == user) {
            return Ok(row);
        }
        let agency = self.store.agency(row.user.agency_id).await?.ok_or(ServiceError::NotFound)?;
        let scope = crate::authz::Scope { agency: agency.id, region: &agency.data.region };
        if !crate::authz::can_read(actor, scope) {
            return Err(ServiceError::NotFound);
        }
        if !crate::authz::can_manage_people(actor, scope) {
            return Err(ServiceError::Forbidden);
        }
        Ok(row)
    }

    /// Create a bearer token for `user`; the token is returned once and only
    /// its hash is kept.
    pub async fn create_token(&self, actor: &Actor, user: UserId, name: &str) -> Result<(TokenId, String)> {
        self.check_manage_user(actor, user).await?;
        let name = zhifa_domain::error::required_text("令牌名称", name, 100)?;
        let token = format!("{TOKEN_PREFIX}{}", random_token()?);
        let change = Change::CreateToken { user, name, token_hash: secret_hash(&token) };
        let id = self.commit_one(actor, "创建访问令牌", change).await?;
        Ok((TokenId(id), token))
    }

    pub async fn revoke_token(&self, actor: &Actor, id: TokenId) -> Result<()> {
        let token = self.store.token(id).await?.ok_or(ServiceError::NotFound)?;
        self.check_manage_user(actor, token.user_id).await?;
        if token.revoked_at.is_some() {
            return Ok(());
        }
        self.commit_one(actor, "吊销访问令牌", Change::RevokeToken { id }).await?;
        Ok(())
    }

    pub async fn tokens(&self, actor: &Actor, user: UserId) -> Result<Vec<TokenRow>> {
        self.check_manage_user(actor, user).await?;
        Ok(self.store.tokens_of(user).await?)
    }

    pub async fn set_password(&self, actor: &Actor, user: UserId, password: &str) -> Result<()> {
        self.check_manage_user(actor, user).await?;
        check_password_strength(password)?;
        let password_hash = hash_password(password).await?;
        self.commit_one(actor, "设置密码", Change::SetPassword { user, password_hash }).await?;
        Ok(())
    }

    pub fn session_ttl_ends(&self) -> Timestamp {
        self.now().checked_add(SESSION_TTL).unwrap_or_else(|_| self.now())
    }
}
