//! How sign-in resists guessing without letting anyone lock an account out
//! (OWASP ASVS 6.3, issue 23). Wrong passwords are counted per user *and*
//! client address, and per address over all users (one password sprayed over
//! many users); past a few free ones, each further attempt waits a delay that
//! doubles with every failure, up to a cap. Nothing is locked: the right
//! password from another address is never held up by someone else's guessing,
//! and after the delay the right password from the same address works too.

/// Failures older than this are forgotten.
pub const WINDOW_SECS: i64 = 15 * 60;
/// Wrong passwords for one user from one address before delays start.
pub const FREE_PER_USER_AND_ADDRESS: i64 = 3;
/// Wrong passwords from one address, whatever the user, before delays start.
pub const FREE_PER_ADDRESS: i64 = 10;
/// The longest delay.
pub const MAX_DELAY_SECS: i64 = 300;

/// Failures within the window: how many, and how long ago the last was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Failures {
    pub count: i64,
    pub last_age_secs: i64,
}

/// The delay after `count` failures of which `free` cost nothing: 1 s, 2 s,
/// 4 s … up to [`MAX_DELAY_SECS`].
fn delay(count: i64, free: i64) -> i64 {
    if count < free {
        return 0;
    }
    let doublings = u32::try_from((count - free).min(20)).unwrap_or(20);
    (1i64 << doublings).min(MAX_DELAY_SECS)
}

/// Seconds still to wait before the next sign-in attempt for this user from
/// this address, if any.
pub fn asvs_6_3_sign_in_wait(user_and_address: Failures, address: Failures) -> Option<i64> {
    let left = |f: Failures, free: i64| (delay(f.count, free) - f.last_age_secs).max(0);
    let wait = left(user_and_address, FREE_PER_USER_AND_ADDRESS).max(left(address, FREE_PER_ADDRESS));
    (wait > 0).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(count: i64, last_age_secs: i64) -> Failures {
        Failures { count, last_age_secs }
    }

    #[test]
    fn asvs_6_3_a_few_wrong_passwords_cost_nothing() {
        assert_eq!(asvs_6_3_sign_in_wait(f(0, 0), f(0, 0)), None);
        assert_eq!(asvs_6_3_sign_in_wait(f(2, 0), f(2, 0)), None);
    }

    #[test]
    fn asvs_6_3_the_delay_doubles_with_each_failure_up_to_its_cap() {
        let waits: Vec<_> = (3..=14).map(|n| asvs_6_3_sign_in_wait(f(n, 0), f(n, 0))).collect();
        assert_eq!(waits[..4], [Some(1), Some(2), Some(4), Some(8)]);
        assert_eq!(waits.last(), Some(&Some(MAX_DELAY_SECS)));
        assert!(waits.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(asvs_6_3_sign_in_wait(f(1_000, 0), f(1_000, 0)), Some(MAX_DELAY_SECS));
    }

    #[test]
    fn asvs_6_3_the_delay_runs_from_the_last_failure() {
        assert_eq!(asvs_6_3_sign_in_wait(f(5, 3), f(5, 3)), Some(1));
        assert_eq!(asvs_6_3_sign_in_wait(f(5, 4), f(5, 4)), None, "waited out: the next attempt is checked");
    }

    #[test]
    fn asvs_6_3_one_address_spraying_many_users_is_slowed() {
        // Two tries per user, never three, but many users from one address.
        assert_eq!(asvs_6_3_sign_in_wait(f(2, 0), f(9, 0)), None);
        assert_eq!(asvs_6_3_sign_in_wait(f(0, 0), f(10, 0)), Some(1));
        assert_eq!(asvs_6_3_sign_in_wait(f(0, 0), f(16, 0)), Some(64));
    }
}
