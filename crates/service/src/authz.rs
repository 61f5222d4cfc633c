//! Who may read and do what. Pure decisions on the actor and the scope of the
//! thing (its agency and that agency's region).
//!
//! - Everyone acts for one agency and reads that agency's data.
//! - A supervisor reads every agency in its agency's region subtree, and writes
//!   nothing here.
//! - An administrator reads and manages the agencies, people and lists of its
//!   region subtree.
//! - An agency's head manages its people and lists; its publicity officer its
//!   lists. Officers and reviewers read.
//! - The system (CLI, demo) may do anything.

use crate::Actor;
use zhifa_domain::ids::AgencyId;
use zhifa_domain::people::Role;
use zhifa_domain::region::RegionCode;

/// The scope a thing lives in.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub agency: AgencyId,
    pub region: &'a RegionCode,
}

fn in_region(actor: &Actor, region: &RegionCode) -> bool {
    match actor {
        Actor::User(p) => p.agency_region.contains(region),
        Actor::System(_) => true,
    }
}

fn own_agency(actor: &Actor, agency: AgencyId) -> bool {
    matches!(actor, Actor::User(p) if p.agency_id == agency)
}

fn role(actor: &Actor) -> Option<Role> {
    match actor {
        Actor::User(p) => Some(p.role),
        Actor::System(_) => None,
    }
}

pub fn can_read(actor: &Actor, scope: Scope<'_>) -> bool {
    match role(actor) {
        None => true,
        Some(Role::Supervisor | Role::Administrator) => {
            own_agency(actor, scope.agency) || in_region(actor, scope.region)
        }
        Some(_) => own_agency(actor, scope.agency),
    }
}

/// Enforcement items, random-inspection items and service guides.
pub fn can_edit_lists(actor: &Actor, scope: Scope<'_>) -> bool {
    match role(actor) {
        None => true,
        Some(Role::Administrator) => in_region(actor, scope.region),
        Some(Role::Head | Role::PublicityOfficer) => own_agency(actor, scope.agency),
        Some(_) => false,
    }
}

/// People, their accounts and certificates.
pub fn can_manage_people(actor: &Actor, scope: Scope<'_>) -> bool {
    match role(actor) {
        None => true,
        Some(Role::Administrator) => in_region(actor, scope.region),
        Some(Role::Head) => own_agency(actor, scope.agency),
        Some(_) => false,
    }
}

/// The legal-review catalogue: administrators of the region, the agency's
/// heads and its legal unit (reviewers).
pub fn can_edit_review_catalogue(actor: &Actor, scope: Scope<'_>) -> bool {
    match role(actor) {
        None => true,
        Some(Role::Administrator) => in_region(actor, scope.region),
        Some(Role::Head | Role::Reviewer) => own_agency(actor, scope.agency),
        Some(_) => false,
    }
}

/// Publishing an agency's decisions, correcting and withdrawing them: its
/// publicity officers and heads, and administrators of its region.
/// The same people as keep its lists.
pub fn can_publish(actor: &Actor, scope: Scope<'_>) -> bool {
    can_edit_lists(actor, scope)
}

/// Creating an agency in `region`, or changing one there.
pub fn can_manage_agencies(actor: &Actor, region: &RegionCode) -> bool {
    match role(actor) {
        None => true,
        Some(Role::Administrator) => in_region(actor, region),
        Some(_) => false,
    }
}

/// The prefix of region codes whose agencies the actor may list, or `None` when
/// it sees only its own agency.
pub fn listing_region(actor: &Actor) -> Option<String> {
    match actor {
        Actor::System(_) => Some(String::new()),
        Actor::User(p) if matches!(p.role, Role::Supervisor | Role::Administrator) => {
            Some(p.agency_region.subtree_prefix().to_owned())
        }
        Actor::User(_) => None,
    }
}

/// Audio/video records: the people who investigate (officers and heads) of
/// their own agency. The system has no agency to record for.
pub fn can_record_evidence(actor: &Actor) -> bool {
    matches!(role(actor), Some(Role::Officer | Role::Head))
}

/// Opening cases and taking their steps (of the actor's own agency; which
/// role may take which step is the procedure's business).
pub fn can_handle_cases(actor: &Actor) -> bool {
    role(actor).is_some_and(handles_cases)
}

/// Roles that handle cases.
pub(crate) fn handles_cases(role: Role) -> bool {
    matches!(role, Role::Officer | Role::Head | Role::Reviewer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Principal;
    use zhifa_domain::ids::UserId;

    fn user(role: Role, agency: i64, region: &str) -> Actor {
        Actor::User(Principal {
            user_id: UserId(1),
            username: "u".into(),
            name: "某".into(),
            role,
            agency_id: AgencyId(agency),
            agency_name: "机关".into(),
            agency_region: RegionCode::parse(region).unwrap(),
        })
    }

    #[test]
    fn rev_1_catalogue_kept_by_heads_reviewers_and_administrators() {
        let r = RegionCode::parse("330106").unwrap();
        assert!(can_edit_review_catalogue(&user(Role::Reviewer, 1, "330106"), scope(1, &r)));
        assert!(can_edit_review_catalogue(&user(Role::Head, 1, "330106"), scope(1, &r)));
        assert!(!can_edit_review_catalogue(&user(Role::Reviewer, 2, "330106"), scope(1, &r)));
        assert!(!can_edit_review_catalogue(&user(Role::Officer, 1, "330106"), scope(1, &r)));
        assert!(can_edit_review_catalogue(&user(Role::Administrator, 9, "330100"), scope(1, &r)));
        assert!(!can_edit_review_catalogue(&user(Role::Supervisor, 9, "330100"), scope(1, &r)));
    }

    fn scope(agency: i64, region: &RegionCode) -> Scope<'_> {
        Scope { agency: AgencyId(agency), region }
    }

    #[test]
    fn officers_read_only_their_own_agency() {
        let here = RegionCode::parse("330106").unwrap();
        let officer = user(Role::Officer, 1, "330106");
        assert!(can_read(&officer, scope(1, &here)));
        assert!(!can_read(&officer, scope(2, &here)));
        assert!(!can_edit_lists(&officer, scope(1, &here)));
    }

    #[test]
    fn supervisors_read_their_region_subtree_and_write_nothing() {
        let x = RegionCode::parse("330106").unwrap();
        let y = RegionCode::parse("330206").unwrap();
        let sup = user(Role::Supervisor, 9, "330100");
        assert!(can_read(&sup, scope(2, &x)));
        assert!(!can_read(&sup, scope(3, &y)));
        assert!(!can_edit_lists(&sup, scope(2, &x)));
        assert!(!can_manage_people(&sup, scope(2, &x)));
    }

    #[test]
    fn administrators_manage_their_region_heads_their_agency() {
        let x = RegionCode::parse("330106").unwrap();
        let y = RegionCode::parse("330206").unwrap();
        let admin = user(Role::Administrator, 9, "330100");
        assert!(can_manage_agencies(&admin, &x));
        assert!(!can_manage_agencies(&admin, &y));
        let head = user(Role::Head, 1, "330106");
        assert!(can_manage_people(&head, scope(1, &x)));
        assert!(!can_manage_people(&head, scope(2, &x)));
        assert!(!can_manage_agencies(&head, &x));
        let publicity = user(Role::PublicityOfficer, 1, "330106");
        assert!(can_edit_lists(&publicity, scope(1, &x)));
        assert!(!can_manage_people(&publicity, scope(1, &x)));
    }
}
