//! What a notification in a user's inbox is about.

use super::indicator::vocabulary;

vocabulary!(
    /// The events that reach a user's inbox (and e-mail, when SMTP is configured).
    NotificationKind {
        AwaitingReview => "awaiting_review",
        Rejected => "rejected",
        ChallengeRaised => "challenge_raised",
        ChallengeAnswered => "challenge_answered",
        PeriodLocked => "period_locked",
    }
);
