//! Notifications: each user's inbox, written by the use cases in the same transaction as the
//! event they tell of (a value awaiting review, a value rejected, a challenge raised or
//! answered, a period locked), in Spanish and English, with a link into the workspace.
//!
//! With SMTP configured ([`MailSettings`]) each notification is also e-mailed, in the
//! background after the transaction commits: a failure is logged and never fails the request;
//! `emailed_at` records a sent one.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::NaiveDateTime;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::db::models::measurement::{Measurement, Subject};
use crate::db::models::notification::{self, NewNotification};
use crate::db::models::{impact, indicator, variable};
use crate::db::{Db, DbConnection, WriteTx};
use crate::domain::Role;
use crate::domain::notification::NotificationKind;

use super::{AppError, Ayni, Caller};

/// How many notifications the inbox shows.
pub const INBOX_SIZE: i64 = 200;
/// Longest quoted reason or answer in a message.
const MAX_QUOTE: usize = 300;

/// A notification as its recipient reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: i64,
    pub kind: NotificationKind,
    pub message_es: String,
    pub message_en: String,
    /// A workspace path.
    pub link: Option<String>,
    pub created_at: NaiveDateTime,
    pub read: bool,
}

impl From<notification::Notification> for Notification {
    fn from(n: notification::Notification) -> Self {
        Notification {
            id: n.id,
            kind: n.kind,
            message_es: n.message_es,
            message_en: n.message_en,
            link: n.link,
            created_at: n.created_at,
            read: n.read_at.is_some(),
        }
    }
}

/// SMTP settings: `url` as lettre's `AsyncSmtpTransport::from_url` reads it
/// (`smtp://host:port`, `smtps://...`, `smtp://...?tls=required`), `from` the sender.
#[derive(Clone, PartialEq, Eq)]
pub struct MailSettings {
    pub url: String,
    pub from: String,
    /// The address people reach Ayni at (`https://ayni.example.org`), which makes the links in
    /// e-mails absolute; `None`: links are paths (`/app/tareas`).
    pub public_url: Option<String>,
}

/// The URL without its password (settings are logged).
impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = match url::Url::parse(&self.url) {
            Ok(mut u) => {
                if u.password().is_some() {
                    let _ = u.set_password(Some("***"));
                }
                u.to_string()
            }
            Err(_) => "(not a URL)".to_string(),
        };
        f.debug_struct("MailSettings")
            .field("url", &url)
            .field("from", &self.from)
            .field("public_url", &self.public_url)
            .finish()
    }
}

/// Sends notifications by e-mail. One delivery runs at a time; a notification that failed
/// is not tried again by this process (the failure is logged).
pub(super) struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Only notifications created since the service started are e-mailed (configuring SMTP
    /// later does not send the old ones).
    since: NaiveDateTime,
    failed: tokio::sync::Mutex<HashSet<i64>>,
    /// Prefix of the links (no trailing slash), or empty.
    base: String,
}

impl Mailer {
    fn new(settings: &MailSettings) -> Result<Mailer, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.url)
            .map_err(|e| format!("AYNI_SMTP_URL: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = settings
            .from
            .parse::<Mailbox>()
            .map_err(|e| format!("AYNI_SMTP_FROM '{}': {e}", settings.from))?;
        let base = match &settings.public_url {
            None => String::new(),
            Some(u) => {
                let parsed =
                    url::Url::parse(u).map_err(|e| format!("AYNI_PUBLIC_URL '{u}': {e}"))?;
                if !matches!(parsed.scheme(), "http" | "https")
                    || parsed.host_str().is_none()
                    || parsed.query().is_some()
                {
                    return Err(format!(
                        "AYNI_PUBLIC_URL '{u}': expected http(s)://host[/path]"
                    ));
                }
                u.trim_end_matches('/').to_string()
            }
        };
        Ok(Mailer {
            base,
            transport,
            from,
            since: crate::db::audit::now(),
            failed: Default::default(),
        })
    }
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

fn subject_line(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::AwaitingReview => "Ayni: valor por revisar / value awaiting review",
        NotificationKind::Rejected => "Ayni: valor rechazado / value rejected",
        NotificationKind::ChallengeRaised => "Ayni: nuevo cuestionamiento / new challenge",
        NotificationKind::ChallengeAnswered => {
            "Ayni: cuestionamiento respondido / challenge answered"
        }
        NotificationKind::PeriodLocked => "Ayni: periodo cerrado / period locked",
    }
}

fn mail_body(n: &notification::Notification, base: &str) -> String {
    let link = n
        .link
        .as_deref()
        .map(|l| format!("\n\nEspacio de trabajo / workspace: {base}{l}"))
        .unwrap_or_default();
    format!(
        "{}\n\n{}{link}\n\n-- \nAyni: bandeja / inbox {base}/app/bandeja\n",
        n.message_es, n.message_en
    )
}

/// E-mails every notification not sent yet (one delivery at a time).
async fn deliver(db: Db, mailer: Arc<Mailer>) {
    let mut failed = mailer.failed.lock().await;
    loop {
        let since = mailer.since;
        let skip: Vec<i64> = failed.iter().copied().collect();
        let batch = match db
            .run(move |c| notification::unsent(c, since, &skip, 50).map_err(AppError::from))
            .await
        {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "notifications: cannot load the unsent ones");
                return;
            }
        };
        if batch.is_empty() {
            return;
        }
        for (n, address) in batch {
            let sent = match address.parse::<Mailbox>() {
                Ok(to) => Message::builder()
                    .from(mailer.from.clone())
                    .to(to)
                    .subject(subject_line(n.kind))
                    .body(mail_body(&n, &mailer.base))
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            let result = match sent {
                Ok(message) => mailer
                    .transport
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            let id = n.id;
            match result {
                Ok(()) => {
                    let stored = db
                        .run(move |c| {
                            notification::mark_emailed(c, id, crate::db::audit::now())
                                .map_err(AppError::from)
                        })
                        .await;
                    if let Err(e) = stored {
                        tracing::warn!(notification = id, error = %e, "notifications: sent, but not marked as sent");
                        failed.insert(id);
                    }
                }
                Err(e) => {
                    tracing::warn!(notification = id, error = %e, "notifications: e-mail not sent");
                    failed.insert(id);
                }
            }
        }
    }
}

/// Cuts a quoted text to [`MAX_QUOTE`] characters.
fn quote(text: &str) -> String {
    let mut out: String = text.chars().take(MAX_QUOTE).collect();
    if text.chars().count() > MAX_QUOTE {
        out.push('…');
    }
    out
}

/// What a value is of, for a sentence: `(es, en)`.
fn value_label(conn: &mut DbConnection, m: &Measurement) -> Result<(String, String), AppError> {
    Ok(match m.subject()? {
        Subject::Indicator(id) => {
            let code = indicator::by_id(conn, id)?
                .map(|i| i.definition.code)
                .unwrap_or_default();
            (format!("el indicador {code}"), format!("indicator {code}"))
        }
        Subject::Variable(id) => {
            let code = variable::by_ids(conn, &[id])?
                .into_iter()
                .next()
                .map(|v| v.code)
                .unwrap_or_default();
            (format!("la variable {code}"), format!("variable {code}"))
        }
        Subject::Impact { vec, .. } => {
            let code = impact::vec_by_id(conn, vec)?
                .map(|v| v.code)
                .unwrap_or_default();
            (
                format!("el componente valorado {code}"),
                format!("valued component {code}"),
            )
        }
    })
}

/// Stores one notification for each recipient but the author of the transaction.
fn notify(
    tx: &mut WriteTx<'_>,
    mut recipients: Vec<i64>,
    kind: NotificationKind,
    es: &str,
    en: &str,
    link: &str,
) -> Result<(), AppError> {
    let author = tx.author().user_id;
    recipients.retain(|u| Some(*u) != author);
    recipients.sort_unstable();
    recipients.dedup();
    let now = tx.now();
    let new = NewNotification {
        kind,
        message_es: es,
        message_en: en,
        link: Some(link),
    };
    notification::create_for(tx.conn(), &recipients, &new, now)?;
    Ok(())
}

/// The reviewers: the coordinators, or the administrators where there is no coordinator.
fn reviewers(conn: &mut DbConnection) -> Result<Vec<i64>, AppError> {
    let coordinators = notification::users_with_roles(conn, &[Role::Coordinator])?;
    if !coordinators.is_empty() {
        return Ok(coordinators);
    }
    Ok(notification::users_with_roles(conn, &[Role::Admin])?)
}

/// A value was submitted: the reviewers hear of it.
pub(super) fn awaiting_review(tx: &mut WriteTx<'_>, m: &Measurement) -> Result<(), AppError> {
    let (es, en) = value_label(tx.conn(), m)?;
    let to = reviewers(tx.conn())?;
    notify(
        tx,
        to,
        NotificationKind::AwaitingReview,
        &format!("Un valor de {es} ({}) espera revisión.", m.period),
        &format!("A value of {en} ({}) awaits review.", m.period),
        "/app/revision",
    )
}

/// An import was stored: the reviewers hear of it once, not once per row.
pub(super) fn import_awaiting_review(
    tx: &mut WriteTx<'_>,
    ecosystem_name: &str,
    rows: u64,
) -> Result<(), AppError> {
    let to = reviewers(tx.conn())?;
    notify(
        tx,
        to,
        NotificationKind::AwaitingReview,
        &format!("Una carga de {rows} valor(es) para {ecosystem_name} espera revisión."),
        &format!("An import of {rows} value(s) for {ecosystem_name} awaits review."),
        "/app/revision",
    )
}

/// A value was rejected: whoever submitted it hears why.
pub(super) fn rejected(tx: &mut WriteTx<'_>, m: &Measurement) -> Result<(), AppError> {
    let Some(submitter) = m.submitted_by else {
        return Ok(());
    };
    let (es, en) = value_label(tx.conn(), m)?;
    let reason = quote(m.reject_reason.as_deref().unwrap_or_default());
    notify(
        tx,
        vec![submitter],
        NotificationKind::Rejected,
        &format!("Su valor de {es} ({}) fue rechazado: {reason}", m.period),
        &format!("Your value of {en} ({}) was rejected: {reason}", m.period),
        "/app/tareas",
    )
}

/// A published value was challenged: the reviewers hear of it.
pub(super) fn challenge_raised(
    tx: &mut WriteTx<'_>,
    m: &Measurement,
    reason: &str,
) -> Result<(), AppError> {
    let (es, en) = value_label(tx.conn(), m)?;
    let to = reviewers(tx.conn())?;
    let reason = quote(reason);
    notify(
        tx,
        to,
        NotificationKind::ChallengeRaised,
        &format!("Se cuestionó el valor de {es} ({}): {reason}", m.period),
        &format!("The value of {en} ({}) was challenged: {reason}", m.period),
        "/app/cuestionamientos",
    )
}

/// A challenge was answered: the challenger hears the answer.
pub(super) fn challenge_answered(
    tx: &mut WriteTx<'_>,
    challenger: i64,
    m: &Measurement,
    upheld: bool,
    answer: &str,
) -> Result<(), AppError> {
    let (es, en) = value_label(tx.conn(), m)?;
    let (out_es, out_en) = if upheld {
        (
            "acogido: el valor se retira",
            "upheld: the value is withdrawn",
        )
    } else {
        ("desestimado", "dismissed")
    };
    let answer = quote(answer);
    notify(
        tx,
        vec![challenger],
        NotificationKind::ChallengeAnswered,
        &format!(
            "Su cuestionamiento del valor de {es} ({}) fue respondido ({out_es}): {answer}",
            m.period
        ),
        &format!(
            "Your challenge of the value of {en} ({}) was answered ({out_en}): {answer}",
            m.period
        ),
        "/app/cuestionamientos",
    )
}

/// A period was locked: the users of the ecosystem's member actors hear of it.
pub(super) fn period_locked(
    tx: &mut WriteTx<'_>,
    ecosystem_id: i64,
    ecosystem_name: &str,
    period: &str,
    reason: &str,
) -> Result<(), AppError> {
    let to = notification::users_of_members(tx.conn(), ecosystem_id)?;
    let reason = quote(reason);
    notify(
        tx,
        to,
        NotificationKind::PeriodLocked,
        &format!("Se cerró el periodo {period} de {ecosystem_name}: {reason}"),
        &format!("Period {period} of {ecosystem_name} was locked: {reason}"),
        "/app/tareas",
    )
}

fn own_user(caller: &Caller) -> Result<i64, AppError> {
    caller
        .user_id
        .ok_or_else(|| AppError::Forbidden("only people with an account have an inbox".into()))
}

impl Ayni {
    /// Sends notifications by e-mail through this SMTP server from now on.
    pub fn with_mail(mut self, settings: &MailSettings) -> Result<Ayni, AppError> {
        self.mailer = Some(Arc::new(
            Mailer::new(settings).map_err(|m| AppError::invalid("smtpUrl", "valid", m))?,
        ));
        Ok(self)
    }

    /// After a write that notified: e-mails the new notifications in the background (when
    /// SMTP is configured and a runtime is there to run it).
    pub(super) fn mail_notifications(&self) {
        let Some(mailer) = self.mailer.clone() else {
            return;
        };
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(deliver(self.db.clone(), mailer));
        }
    }

    /// The caller's notifications, newest first.
    pub async fn inbox(&self, caller: &Caller) -> Result<Vec<Notification>, AppError> {
        let user_id = own_user(caller)?;
        self.db
            .run(move |c| notification::of_user(c, user_id, INBOX_SIZE).map_err(AppError::from))
            .await
            .map(|all| all.into_iter().map(Notification::from).collect())
    }

    /// How many of the caller's notifications are unread.
    pub async fn unread_notifications(&self, caller: &Caller) -> Result<i64, AppError> {
        let user_id = own_user(caller)?;
        self.db
            .run(move |c| notification::unread_count(c, user_id).map_err(AppError::from))
            .await
    }

    /// Marks one of the caller's notifications read; another user's is not found.
    pub async fn mark_notification_read(&self, caller: &Caller, id: i64) -> Result<(), AppError> {
        let user_id = own_user(caller)?;
        let found = self
            .db
            .run(move |c| {
                notification::mark_read(c, user_id, id, crate::db::audit::now())
                    .map_err(AppError::from)
            })
            .await?;
        if found {
            Ok(())
        } else {
            Err(AppError::not_found(format!("notification {id}")))
        }
    }

    /// Marks all the caller's notifications read.
    pub async fn mark_all_notifications_read(&self, caller: &Caller) -> Result<usize, AppError> {
        let user_id = own_user(caller)?;
        self.db
            .run(move |c| {
                notification::mark_all_read(c, user_id, crate::db::audit::now())
                    .map_err(AppError::from)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_quotes_are_cut() {
        assert_eq!(quote("corto"), "corto");
        let long = "x".repeat(MAX_QUOTE + 10);
        assert_eq!(quote(&long).chars().count(), MAX_QUOTE + 1);
    }

    #[test]
    fn bad_smtp_settings_are_refused() {
        let bad_url = MailSettings {
            url: "nonsense://".into(),
            from: "ayni@example.org".into(),
            public_url: None,
        };
        assert!(Mailer::new(&bad_url).is_err());
        let bad_from = MailSettings {
            url: "smtp://127.0.0.1:2525".into(),
            from: "not an address".into(),
            public_url: None,
        };
        assert!(Mailer::new(&bad_from).is_err());
        for bad in [
            "ayni.example.org",
            "ftp://ayni.example.org",
            "https://x.org/?a=1",
        ] {
            let settings = MailSettings {
                url: "smtp://127.0.0.1:2525".into(),
                from: "ayni@example.org".into(),
                public_url: Some(bad.into()),
            };
            assert!(Mailer::new(&settings).is_err(), "{bad}");
        }
        let good = MailSettings {
            url: "smtp://127.0.0.1:2525".into(),
            from: "ayni@example.org".into(),
            public_url: Some("https://ayni.example.org/".into()),
        };
        assert_eq!(
            Mailer::new(&good).map(|m| m.base).ok().as_deref(),
            Some("https://ayni.example.org")
        );
    }
}
