use std::io::Read;

use agora_app::identity::{CreateUserInput, Identity};
use agora_domain::identity::{Role, Tier};
use rand::{seq::SliceRandom, Rng};

use crate::{cli::UserCreateArgs, config::Config, Application};

/// 20 characters from an unambiguous alphabet, with an uppercase letter and a digit guaranteed so
/// the password always satisfies the policy.
fn generate_password() -> String {
    const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGITS: &[u8] = b"23456789";
    let mut rng = rand::rngs::OsRng;
    let all: Vec<u8> = [LOWER, UPPER, DIGITS].concat();
    let mut chars: Vec<u8> = (0..18).map(|_| all[rng.gen_range(0..all.len())]).collect();
    chars.push(UPPER[rng.gen_range(0..UPPER.len())]);
    chars.push(DIGITS[rng.gen_range(0..DIGITS.len())]);
    chars.shuffle(&mut rng);
    String::from_utf8(chars).unwrap_or_default()
}

pub(super) async fn create(config: &Config, args: &UserCreateArgs) -> anyhow::Result<()> {
    let tier: Tier = args
        .tier
        .parse()
        .map_err(|e| anyhow::anyhow!("--tier: {e}"))?;
    let (password, generated) = if args.password_stdin {
        let mut input = String::new();
        std::io::stdin().read_to_string(&mut input)?;
        (input.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (generate_password(), true)
    };
    let modules = Application::start_headless(config, "identity").await?;
    let identity: Identity = modules.registry().get()?;
    let input = CreateUserInput {
        email: args.email.clone(),
        name: args.name.clone(),
        password: password.clone(),
        role: if args.admin { Role::Admin } else { Role::User },
        tier,
    };
    let created = identity.create_user(input).await;
    modules.stop().await;
    let user = created.map_err(|e| match e {
        agora_app::AppError::Validation(errors) => anyhow::anyhow!("{errors}"),
        agora_app::AppError::EmailTaken => anyhow::anyhow!("{} is already registered", args.email),
        other => anyhow::anyhow!(other),
    })?;
    println!(
        "created {} ({}, tier {}, verified) id {}",
        user.email, user.role, user.tier, user.id
    );
    if generated {
        println!("password (shown once): {password}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use agora_domain::identity::Password;

    use super::*;

    #[test]
    fn generated_passwords_satisfy_the_policy() {
        for _ in 0..200 {
            let password = generate_password();
            assert_eq!(password.len(), 20);
            assert!(Password::parse(&password, "password").is_ok(), "{password}");
        }
    }
}
