//! Notifications over HTTP, on both backends: a value awaiting review reaches the
//! coordinators, a rejection reaches the submitter's inbox with its reason and, with SMTP
//! configured, an e-mail captured by an SMTP server the test starts on 127.0.0.1; without SMTP
//! the same flow works and sends nothing. Challenges raised and answered and locked periods
//! notify too. A user can neither read nor mark another user's notifications.

use std::time::Duration;

use awc::http::StatusCode;
use serde_json::json;

use ayni::app::{Caller, MailSettings};
use ayni::domain::notification::NotificationKind;
use ayni::domain::{ActorKind, Role};

use crate::both_backends;
use crate::helpers::smtp::SmtpServer;
use crate::helpers::workspace::WorkspaceClient;
use crate::helpers::{TEST_PASSWORD, TestApp};
use crate::strategy::{Gql, create_ecosystem, create_objective};

both_backends!(
    a_rejection_reaches_the_inbox_and_the_mailbox,
    without_smtp_the_same_flow_sends_nothing,
    an_unreachable_smtp_server_fails_no_request,
    challenges_and_locks_notify_the_people_concerned,
    nobody_reads_or_marks_another_users_notifications,
);

const CREATE_INDICATOR: &str =
    "mutation($input: CreateIndicatorInput!) { createIndicator(input: $input) { id } }";
const SUBMIT: &str =
    "mutation($input: SubmitMeasurementInput!) { submitMeasurement(input: $input) { id } }";
const CONTRIBUTOR: &str = "gore@ayni.test";
const COORDINATOR: &str = "coord@ayni.test";
const REASON: &str = "Falta el acta firmada del consejo regional";

struct Setup<'a> {
    coordinator: Gql<'a>,
    contributor: Gql<'a>,
    eco: String,
    actor: String,
    indicator: String,
}

/// An ecosystem with a member actor, its contributor, a coordinator and one indicator.
async fn setup(app: &TestApp) -> Setup<'_> {
    app.create_user(COORDINATOR, Role::Coordinator, None).await;
    let coordinator = Gql {
        app,
        token: app.token(COORDINATOR, TEST_PASSWORD).await,
    };
    let eco = create_ecosystem(&coordinator, "moquegua").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let actor = app
        .create_actor("Gobierno Regional", ActorKind::RegionalGovernment)
        .await;
    coordinator
        .ok(
            "mutation($e: ID!, $a: ID!) { addEcosystemMember(ecosystemId: $e, actorId: $a, roleLabel: \"Gobierno regional\") { id } }",
            json!({"e": eco, "a": actor.to_string()}),
        )
        .await;
    app.create_user(CONTRIBUTOR, Role::Contributor, Some(actor))
        .await;
    let contributor = Gql {
        app,
        token: app.token(CONTRIBUTOR, TEST_PASSWORD).await,
    };
    let objective = create_objective(&coordinator, &eco, "OE1", "RESULTS").await;
    let indicator = coordinator
        .ok(
            CREATE_INDICATOR,
            json!({"input": {"objectiveId": objective, "code": "AGUA", "name": "Acceso al agua", "unit": "%",
                   "direction": "INCREASE", "periodicity": "YEARLY", "responsibleActorIds": [actor.to_string()]}}),
        )
        .await["createIndicator"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    Setup {
        coordinator,
        contributor,
        eco,
        actor: actor.to_string(),
        indicator,
    }
}

/// Submits a value as the contributor and rejects it as the coordinator.
async fn submit_and_reject(s: &Setup<'_>) -> String {
    let id = s
        .contributor
        .ok(
            SUBMIT,
            json!({"input": {"indicatorId": s.indicator, "period": "2024", "value": 61.0, "evidenceText": "Informe"}}),
        )
        .await["submitMeasurement"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.coordinator
        .ok(
            "mutation($id: ID!, $r: String!) { rejectMeasurement(id: $id, reason: $r) { status } }",
            json!({"id": id, "r": REASON}),
        )
        .await;
    id
}

/// Undoes quoted-printable soft breaks and `=XX` escapes (enough for these messages).
fn unquote(data: &str) -> String {
    let joined = data.replace("=\n", "");
    let mut bytes = Vec::new();
    let mut it = joined.bytes().peekable();
    while let Some(b) = it.next() {
        if b == b'=' {
            let hi = it.next().unwrap_or(b'0');
            let lo = it.next().unwrap_or(b'0');
            match u8::from_str_radix(&format!("{}{}", hi as char, lo as char), 16) {
                Ok(v) => bytes.push(v),
                Err(_) => bytes.extend([b'=', hi, lo]),
            }
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Checks the contributor's inbox page: the rejection, unread, with its reason.
async fn rejection_in_inbox(app: &TestApp) {
    let c = WorkspaceClient::signed_in(app, CONTRIBUTOR, TEST_PASSWORD).await;
    let inbox = c.get("/app/bandeja").await;
    assert_eq!(inbox.status, StatusCode::OK);
    let html = inbox.text();
    assert!(html.contains(REASON), "{html}");
    assert!(
        html.contains("AGUA") && html.contains("fue rechazado"),
        "{html}"
    );
    assert!(html.contains(r#"class="unread""#), "{html}");
    assert!(html.contains(r#"href="/app/tareas""#), "{html}");
    // The navigation counts the unread one.
    assert!(
        html.contains(r#"<span class="count">1<span class="visually-hidden"> sin leer</span>"#),
        "{html}"
    );
    // Mark all read: nothing unread any more.
    let csrf = inbox.csrf();
    let done = c.post_form("/app/bandeja/leidas", &[("csrf", &csrf)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let after = c.get("/app/bandeja?lang=en").await.text();
    assert!(!after.contains(r#"class="unread""#), "{after}");
    assert!(!after.contains(r#"class="count""#), "{after}");
    assert!(after.contains("was rejected"), "{after}");
}

async fn a_rejection_reaches_the_inbox_and_the_mailbox(app: TestApp) {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let app = TestApp::spawn_with(app.backend, move |s| {
        s.smtp = Some(MailSettings {
            url,
            from: "Ayni <ayni@example.org>".into(),
            public_url: Some("https://ayni.example.org".into()),
        })
    })
    .await;
    let s = setup(&app).await;
    submit_and_reject(&s).await;
    rejection_in_inbox(&app).await;

    // Two e-mails: the coordinator heard of the value awaiting review, the contributor of
    // the rejection with its reason.
    let mails = smtp.wait_for(2).await;
    assert_eq!(mails.len(), 2, "{mails:?}");
    let to_contributor: Vec<_> = mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t.contains(CONTRIBUTOR)))
        .collect();
    assert_eq!(to_contributor.len(), 1, "{mails:?}");
    let body = unquote(&to_contributor[0].data);
    assert!(body.contains(REASON), "{body}");
    assert!(
        body.contains("https://ayni.example.org/app/tareas"),
        "{body}"
    );
    assert!(to_contributor[0].from.contains("ayni@example.org"));
    assert!(
        mails
            .iter()
            .any(|m| m.to.iter().any(|t| t.contains(COORDINATOR))
                && unquote(&m.data).contains("espera revisi")),
        "{mails:?}"
    );
    // Each sent notification is marked as e-mailed (eventually: the sending runs after the
    // answer).
    let contributor = app
        .app
        .users(&Caller::operator())
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email == CONTRIBUTOR)
        .unwrap();
    let mut emailed = false;
    for _ in 0..100 {
        use ayni::db::schema::notifications::dsl as n;
        use diesel::prelude::*;
        let uid = contributor.id;
        let sent: Vec<Option<chrono::NaiveDateTime>> = app
            .direct(move |c| {
                n::notifications
                    .filter(n::user_id.eq(uid))
                    .select(n::emailed_at)
                    .load(c)
                    .map_err(ayni::app::AppError::from)
            })
            .await
            .unwrap();
        if sent.iter().all(Option::is_some) && !sent.is_empty() {
            emailed = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(emailed, "emailed_at set");
}

async fn without_smtp_the_same_flow_sends_nothing(app: TestApp) {
    // A listener nobody is told about: it must hear nothing.
    let smtp = SmtpServer::start();
    let s = setup(&app).await;
    submit_and_reject(&s).await;
    rejection_in_inbox(&app).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(smtp.connections(), 0);
    assert!(smtp.messages().is_empty());
}

async fn an_unreachable_smtp_server_fails_no_request(app: TestApp) {
    // A port that was free a moment ago: nobody listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = TestApp::spawn_with(app.backend, move |s| {
        s.smtp = Some(MailSettings {
            url: format!("smtp://127.0.0.1:{port}"),
            from: "ayni@example.org".into(),
            public_url: None,
        })
    })
    .await;
    let s = setup(&app).await;
    submit_and_reject(&s).await;
    rejection_in_inbox(&app).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    use ayni::db::schema::notifications::dsl as n;
    use diesel::prelude::*;
    let sent: Vec<Option<chrono::NaiveDateTime>> = app
        .direct(|c| {
            n::notifications
                .select(n::emailed_at)
                .load(c)
                .map_err(ayni::app::AppError::from)
        })
        .await
        .unwrap();
    assert!(!sent.is_empty());
    assert!(
        sent.iter().all(Option::is_none),
        "nothing marked as e-mailed"
    );
}

async fn inbox_of(app: &TestApp, email: &str) -> Vec<ayni::app::Notification> {
    let user = app
        .app
        .users(&Caller::operator())
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email == email)
        .unwrap();
    let caller = Caller {
        user_id: Some(user.id),
        email: user.email,
        role: user.role,
        actor_id: user.actor_id,
    };
    app.app.inbox(&caller).await.unwrap()
}

async fn kinds_of(app: &TestApp, email: &str) -> Vec<NotificationKind> {
    inbox_of(app, email)
        .await
        .into_iter()
        .map(|n| n.kind)
        .collect()
}

async fn challenges_and_locks_notify_the_people_concerned(app: TestApp) {
    let s = setup(&app).await;
    let id = s
        .contributor
        .ok(
            SUBMIT,
            json!({"input": {"indicatorId": s.indicator, "period": "2024", "value": 61.0, "evidenceText": "Informe"}}),
        )
        .await["submitMeasurement"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        kinds_of(&app, COORDINATOR).await,
        vec![NotificationKind::AwaitingReview]
    );
    // An import is one notification, however many rows.
    s.coordinator
        .ok(
            "mutation($input: CreateVariableInput!) { createVariable(input: $input) { id } }",
            json!({"input": {"code": "VPCT", "name": "Variable", "unit": "%", "source": "INEI",
                   "periodicity": "YEARLY", "level": "PROVINCE", "rollUp": "NONE", "responsibleActorId": s.actor}}),
        )
        .await;
    s.coordinator
        .ok(
            "mutation($e: ID!, $c: [String!]!) { selectVariables(ecosystemId: $e, codes: $c) }",
            json!({"e": s.eco, "c": ["VPCT"]}),
        )
        .await;
    let imported = app
        .post_raw(
            "/api/v1/ecosystems/moquegua/observations:import?fileName=datos.csv",
            "text/csv",
            Some(&s.contributor.token),
            b"variable,period,territory,value,evidence\nVPCT,2023,1801,45,INEI\nVPCT,2023,1802,47,INEI\n"
                .to_vec(),
        )
        .await;
    assert_eq!(imported.status, StatusCode::CREATED, "{:?}", imported.body);
    let inbox = inbox_of(&app, COORDINATOR).await;
    assert_eq!(inbox.len(), 2);
    assert_eq!(inbox[0].kind, NotificationKind::AwaitingReview);
    assert!(
        inbox[0].message_es.contains("Una carga de 2 valor(es)"),
        "{:?}",
        inbox[0]
    );
    s.coordinator
        .ok(
            "mutation($id: ID!) { approveMeasurement(id: $id) { status } }",
            json!({"id": id}),
        )
        .await;
    app.create_user("monitor@ayni.test", Role::Monitor, None)
        .await;
    let monitor = Gql {
        app: &app,
        token: app.token("monitor@ayni.test", TEST_PASSWORD).await,
    };
    let challenge = monitor
        .ok(
            "mutation($m: ID!, $r: String!) { openChallenge(measurementId: $m, reason: $r) { id } }",
            json!({"m": id, "r": "El valor no coincide con el INEI"}),
        )
        .await["openChallenge"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        kinds_of(&app, COORDINATOR).await,
        vec![
            NotificationKind::ChallengeRaised,
            NotificationKind::AwaitingReview,
            NotificationKind::AwaitingReview
        ]
    );
    s.coordinator
        .ok(
            "mutation($id: ID!) { answerChallenge(id: $id, outcome: DISMISSED, answer: \"Coincide con el acta\") { id } }",
            json!({"id": challenge}),
        )
        .await;
    assert_eq!(
        kinds_of(&app, "monitor@ayni.test").await,
        vec![NotificationKind::ChallengeAnswered]
    );
    s.coordinator
        .ok(
            "mutation($e: ID!) { lockPeriod(ecosystemId: $e, period: \"2024\", reason: \"Cierre anual\") { period } }",
            json!({"e": s.eco}),
        )
        .await;
    assert_eq!(
        kinds_of(&app, CONTRIBUTOR).await,
        vec![NotificationKind::PeriodLocked]
    );
    // The monitor is bound to no member actor: no lock notice.
    assert_eq!(kinds_of(&app, "monitor@ayni.test").await.len(), 1);
}

async fn nobody_reads_or_marks_another_users_notifications(app: TestApp) {
    let s = setup(&app).await;
    submit_and_reject(&s).await;
    let contributor = app
        .app
        .users(&Caller::operator())
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email == CONTRIBUTOR)
        .unwrap();
    let theirs = {
        use ayni::db::schema::notifications::dsl as n;
        use diesel::prelude::*;
        let uid = contributor.id;
        app.direct(move |c| {
            n::notifications
                .filter(n::user_id.eq(uid))
                .select(n::id)
                .first::<i64>(c)
                .map_err(ayni::app::AppError::from)
        })
        .await
        .unwrap()
    };
    // Another signed-in user sees none of it and cannot mark it.
    app.create_user("other@ayni.test", Role::Monitor, None)
        .await;
    let other = WorkspaceClient::signed_in(&app, "other@ayni.test", TEST_PASSWORD).await;
    let page = other.get("/app/bandeja").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text().contains(REASON));
    let csrf = page.csrf();
    for id in [theirs.to_string(), "999999".into(), "x".into(), "-1".into()] {
        let p = other
            .post_form(&format!("/app/bandeja/{id}/leida"), &[("csrf", &csrf)])
            .await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{id}");
    }
    // Marking all of one's own touches nobody else's.
    other
        .post_form("/app/bandeja/leidas", &[("csrf", &csrf)])
        .await;
    // Without the token: 403, nothing marked.
    let owner = WorkspaceClient::signed_in(&app, CONTRIBUTOR, TEST_PASSWORD).await;
    let path = format!("/app/bandeja/{theirs}/leida");
    assert_eq!(
        owner.post_form(&path, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        owner
            .post_form("/app/bandeja/leidas", &[("csrf", "nope")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert!(
        owner
            .get("/app/bandeja")
            .await
            .text()
            .contains(r#"class="unread""#)
    );
    // The owner marks it read.
    let csrf = owner.csrf("/app/bandeja").await;
    assert_eq!(
        owner.post_form(&path, &[("csrf", &csrf)]).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(
        !owner
            .get("/app/bandeja")
            .await
            .text()
            .contains(r#"class="unread""#)
    );
    // Without a session: sent to sign in.
    let anon = WorkspaceClient::new(&app);
    assert_eq!(anon.get("/app/bandeja").await.status, StatusCode::SEE_OTHER);
}
