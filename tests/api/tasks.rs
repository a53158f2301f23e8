//! "Mis tareas" on both backends: an actor's indicators, variables and developments with the
//! periods due and the state of every submission; a contributor sees only its own actor's;
//! every actor's tasks are read in a bounded number of queries.

use chrono::NaiveDate;
use serde_json::{Value, json};

use ayni::app::{AppError, Caller, SubmissionState, TaskSubject};
use ayni::domain::due::{Timeliness, periods_due};
use ayni::domain::{ActorKind, PeriodType, Role};

use crate::both_backends;
use crate::helpers::workspace::WorkspaceClient;
use crate::helpers::{TEST_PASSWORD, TestApp};
use crate::strategy::{Gql, coordinator, create_ecosystem, create_objective};

both_backends!(
    tasks_list_periods_due_and_submission_states,
    tasks_are_private_to_their_actor_and_batched,
    the_tasks_page_shows_states_in_words_to_their_actor_only,
    completeness_counts_expected_submitted_and_approved,
);

const CREATE_INDICATOR: &str =
    "mutation($input: CreateIndicatorInput!) { createIndicator(input: $input) { id } }";
const CREATE_VARIABLE: &str =
    "mutation($input: CreateVariableInput!) { createVariable(input: $input) { id } }";
const SUBMIT: &str =
    "mutation($input: SubmitMeasurementInput!) { submitMeasurement(input: $input) { id } }";
const OBSERVE: &str =
    "mutation($input: SubmitObservationInput!) { submitObservation(input: $input) { id } }";
const VEC: &str = "mutation($input: CreateVecInput!) { createVec(input: $input) { id } }";
const DEV: &str =
    "mutation($input: CreateDevelopmentInput!) { createDevelopment(input: $input) { id } }";
const IMPACT: &str = "mutation($input: SubmitImpactContributionInput!) { submitImpactContribution(input: $input) { id } }";

/// An ecosystem (horizon from 2023) with two member actors, each with a contributor:
/// actor A is responsible for a yearly indicator, a yearly variable and a development; actor B
/// for a quarterly indicator. A third ecosystem member-less of both.
pub struct TaskSetup<'a> {
    pub g: Gql<'a>,
    pub eco_id: i64,
    pub actor_a: i64,
    pub actor_b: i64,
    pub user_a: i64,
    pub user_b: i64,
    /// Bearer tokens of A's and B's contributors.
    pub token_a: String,
    pub token_b: String,
    pub yearly: String,
    pub quarterly: String,
    pub vec: String,
    pub development: String,
}

pub const USER_A: &str = "gore@ayni.test";
pub const USER_B: &str = "mina@ayni.test";

pub async fn task_setup(app: &TestApp) -> TaskSetup<'_> {
    let g = coordinator(app).await;
    let eco = create_ecosystem(&g, "moquegua").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    create_ecosystem(&g, "otro").await;
    let actor_a = app
        .create_actor(
            "Gobierno Regional de Moquegua",
            ActorKind::RegionalGovernment,
        )
        .await;
    let actor_b = app.create_actor("Minera del Sur", ActorKind::Company).await;
    for a in [actor_a, actor_b] {
        g.ok("mutation($e: ID!, $a: ID!) { addEcosystemMember(ecosystemId: $e, actorId: $a, roleLabel: \"Miembro\") { id } }",
             json!({"e": eco, "a": a.to_string()}))
            .await;
    }
    let user_a = app
        .create_user(USER_A, Role::Contributor, Some(actor_a))
        .await;
    let user_b = app
        .create_user(USER_B, Role::Contributor, Some(actor_b))
        .await;
    let objective = create_objective(&g, &eco, "OE1", "RESULTS").await;
    let mut ids = Vec::new();
    for (code, periodicity, actor) in [("ANUAL", "YEARLY", actor_a), ("TRIM", "QUARTERLY", actor_b)]
    {
        let d = g
            .ok(
                CREATE_INDICATOR,
                json!({"input": {"objectiveId": objective, "code": code, "name": format!("Indicador {code}"),
                       "unit": "t", "direction": "INCREASE", "periodicity": periodicity,
                       "responsibleActorIds": [actor.to_string()]}}),
            )
            .await;
        ids.push(d["createIndicator"]["id"].as_str().unwrap().to_string());
    }
    g.ok(
        CREATE_VARIABLE,
        json!({"input": {"code": "VAGUA", "name": "Agua tratada", "unit": "hm³", "source": "INEI",
               "periodicity": "YEARLY", "level": "PROVINCE", "rollUp": "NONE",
               "responsibleActorId": actor_a.to_string()}}),
    )
    .await;
    g.ok(
        "mutation($e: ID!, $c: [String!]!) { selectVariables(ecosystemId: $e, codes: $c) }",
        json!({"e": eco, "c": ["VAGUA"]}),
    )
    .await;
    let vec = g
        .ok(
            VEC,
            json!({"input": {"ecosystemId": eco, "code": "AGUA", "name": "Disponibilidad hídrica",
            "kind": "ENVIRONMENTAL", "unit": "hm³", "baselinePeriod": "2023", "baselineValue": 100.0,
            "direction": "INCREASE", "thresholdValue": 60.0, "thresholdLimit": "LOWER", "boundary": ["1801"]}}),
        )
        .await["createVec"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let development = g
        .ok(
            DEV,
            json!({"input": {"ecosystemId": eco, "name": "Planta de agua", "sector": "URBAN",
            "ownerActorId": actor_a.to_string(), "status": "EXISTING", "territory": "1801", "startPeriod": "2020"}}),
        )
        .await["createDevelopment"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    TaskSetup {
        eco_id: eco.parse().unwrap(),
        actor_a,
        actor_b,
        user_a,
        user_b,
        token_a: app.token(USER_A, TEST_PASSWORD).await,
        token_b: app.token(USER_B, TEST_PASSWORD).await,
        g,
        yearly: ids[0].clone(),
        quarterly: ids[1].clone(),
        vec,
        development,
    }
}

pub fn contributor(user_id: i64, actor_id: i64) -> Caller {
    Caller {
        user_id: Some(user_id),
        email: "c@ayni.test".into(),
        role: Role::Contributor,
        actor_id: Some(actor_id),
    }
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn id_of(v: &Value, field: &str) -> String {
    v[field]["id"].as_str().unwrap().to_string()
}

async fn tasks_list_periods_due_and_submission_states(app: TestApp) {
    let s = task_setup(&app).await;
    let a = Gql {
        app: &app,
        token: s.token_a.clone(),
    };
    let submit = |period: &str, value: f64| json!({"input": {"indicatorId": s.yearly, "period": period, "value": value, "evidenceText": "Registro"}});
    let approved = id_of(
        &a.ok(SUBMIT, submit("2023", 10.0)).await,
        "submitMeasurement",
    );
    let rejected = id_of(
        &a.ok(SUBMIT, submit("2024", 11.0)).await,
        "submitMeasurement",
    );
    s.g.ok(
        "mutation($id: ID!) { approveMeasurement(id: $id) { id } }",
        json!({"id": approved}),
    )
    .await;
    s.g.ok(
        "mutation($id: ID!) { rejectMeasurement(id: $id, reason: \"Falta el acta\") { id } }",
        json!({"id": rejected}),
    )
    .await;
    a.ok(
        OBSERVE,
        json!({"input": {"variable": "VAGUA", "period": "2023", "territory": "1801", "value": 5.0, "evidenceText": "Padrón"}}),
    )
    .await;
    a.ok(
        IMPACT,
        json!({"input": {"vecId": s.vec, "developmentId": s.development, "period": "2024", "value": -2.0,
                         "basis": "MEASURED", "evidenceText": "Aforo"}}),
    )
    .await;
    // A monitor challenges the approved value.
    app.create_user("veedor@ayni.test", Role::Monitor, None)
        .await;
    let monitor = Gql {
        app: &app,
        token: app.token("veedor@ayni.test", TEST_PASSWORD).await,
    };
    monitor
        .ok(
            "mutation($m: ID!) { openChallenge(measurementId: $m, reason: \"No cuadra con el informe\") { id } }",
            json!({"m": approved}),
        )
        .await;

    let caller = contributor(s.user_a, s.actor_a);
    let ecos = app.app.task_ecosystems(&caller).await.unwrap();
    assert_eq!(
        ecos.iter().map(|e| e.slug.as_str()).collect::<Vec<_>>(),
        ["moquegua"]
    );
    assert_eq!(ecos[0].grace_days, 60);
    let t = app
        .app
        .assignments(&caller, "moquegua", today())
        .await
        .unwrap();
    assert_eq!(t.actor_id, s.actor_a);
    assert_eq!(t.actor_name, "Gobierno Regional de Moquegua");
    // Only A's indicator: B's quarterly one is not A's task.
    assert_eq!(
        t.indicators
            .iter()
            .map(|i| i.code.as_str())
            .collect::<Vec<_>>(),
        ["ANUAL"]
    );
    let ind = &t.indicators[0];
    assert_eq!(ind.unit, "t");
    assert_eq!(ind.periodicity, PeriodType::Yearly);
    let expected: Vec<String> = periods_due(PeriodType::Yearly, 2023, today(), 24)
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert_eq!(
        ind.periods
            .iter()
            .map(|p| p.period.to_string())
            .collect::<Vec<_>>(),
        expected
    );
    let p2023 = &ind.periods[0];
    let sub = p2023.submission.as_ref().unwrap();
    assert_eq!(sub.state, SubmissionState::Challenged);
    assert_eq!(sub.value, 10.0);
    assert_eq!(p2023.due, NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
    // Submitted today, long after 2023's due date.
    assert_eq!(p2023.timeliness, Timeliness::Late);
    assert_eq!(
        ind.periods[1].submission.as_ref().unwrap().state,
        SubmissionState::Rejected {
            reason: "Falta el acta".into()
        }
    );
    // 2025 (due 2026-03-01): nothing submitted and past due.
    if let Some(p) = ind.periods.get(2) {
        assert!(p.submission.is_none());
        assert_eq!(p.timeliness, Timeliness::of(&p.period, 60, None, today()));
    }
    let var = &t.variables[0];
    assert_eq!((var.code.as_str(), var.unit.as_str()), ("VAGUA", "hm³"));
    assert_eq!(var.subject, TaskSubject::Variable(var_id(&t)));
    assert_eq!(
        var.periods[0].submission.as_ref().unwrap().state,
        SubmissionState::AwaitingReview
    );
    assert!(var.periods[1].submission.is_none());
    // The development's impact on the VEC: periods after its 2023 baseline.
    assert_eq!(t.developments.len(), 1);
    let dev = &t.developments[0];
    assert_eq!(dev.name, "Planta de agua");
    assert_eq!(dev.impacts.len(), 1);
    let impact = &dev.impacts[0];
    assert_eq!(impact.code, "AGUA");
    assert_eq!(impact.periods[0].period.to_string(), "2024");
    assert_eq!(
        impact.periods[0].submission.as_ref().unwrap().state,
        SubmissionState::AwaitingReview
    );
    assert!(t.overdue() >= 2, "2025 of ANUAL and of VAGUA are overdue");

    // B sees only its quarterly indicator, nothing submitted, every past period overdue.
    let b = app
        .app
        .assignments(&contributor(s.user_b, s.actor_b), "moquegua", today())
        .await
        .unwrap();
    assert_eq!(b.indicators.len(), 1);
    assert_eq!(b.indicators[0].code, "TRIM");
    assert!(b.variables.is_empty() && b.developments.is_empty());
    let quarters = periods_due(PeriodType::Quarterly, 2023, today(), 24);
    assert_eq!(b.indicators[0].periods.len(), quarters.len());
    assert!(b.indicators[0].periods[0].is_overdue());
}

fn var_id(t: &ayni::app::Assignments) -> i64 {
    match t.variables[0].subject {
        TaskSubject::Variable(v) => v,
        other => panic!("not a variable: {other:?}"),
    }
}

async fn tasks_are_private_to_their_actor_and_batched(app: TestApp) {
    let s = task_setup(&app).await;
    let a = contributor(s.user_a, s.actor_a);
    // A contributor may not ask for another actor's tasks, nor for an ecosystem its actor
    // takes no part in; an unknown ecosystem is not found.
    let other = app
        .app
        .assignments_of(&a, Some(s.actor_b), "moquegua", today())
        .await;
    assert!(matches!(other, Err(AppError::Forbidden(_))), "{other:?}");
    let outside = app.app.assignments(&a, "otro", today()).await;
    assert!(
        matches!(outside, Err(AppError::Forbidden(_))),
        "{outside:?}"
    );
    let missing = app.app.assignments(&a, "no-existe", today()).await;
    assert!(matches!(missing, Err(AppError::NotFound(_))), "{missing:?}");
    assert!(matches!(
        app.app.members_assignments(&a, vec![], today()).await,
        Err(AppError::Forbidden(_))
    ));
    // A coordinator may ask for any member's.
    let coordinator = Caller {
        user_id: None,
        email: "coord@ayni.test".into(),
        role: Role::Coordinator,
        actor_id: None,
    };
    let b = app
        .app
        .assignments_of(&coordinator, Some(s.actor_b), "moquegua", today())
        .await
        .unwrap();
    assert_eq!(b.indicators[0].code, "TRIM");

    // Every member's tasks in a bounded number of queries, however many values exist.
    let g = Gql {
        app: &app,
        token: s.token_b.clone(),
    };
    for year in 2023..=2025 {
        for q in 1..=4 {
            g.ok(
                SUBMIT,
                json!({"input": {"indicatorId": s.quarterly, "period": format!("{year}Q{q}"), "value": 1.0, "evidenceText": "x"}}),
            )
            .await;
        }
    }
    let before = app.app.queries_run();
    let all = app
        .app
        .members_assignments(&coordinator, vec![s.eco_id], today())
        .await
        .unwrap();
    let used = app.app.queries_run() - before;
    assert_eq!(all.len(), 2);
    assert!(used <= 14, "{used} queries");
    let b = all.iter().find(|t| t.actor_id == s.actor_b).unwrap();
    assert!(
        b.indicators[0]
            .periods
            .iter()
            .filter(|p| p.period.year() <= 2025)
            .all(|p| p.submission.is_some())
    );
}

async fn the_tasks_page_shows_states_in_words_to_their_actor_only(app: TestApp) {
    use awc::http::StatusCode;
    let s = task_setup(&app).await;
    let a = Gql {
        app: &app,
        token: s.token_a.clone(),
    };
    let rejected = id_of(
        &a.ok(
            SUBMIT,
            json!({"input": {"indicatorId": s.yearly, "period": "2024", "value": 11.0, "evidenceText": "Acta"}}),
        )
        .await,
        "submitMeasurement",
    );
    s.g.ok(
        "mutation($id: ID!) { rejectMeasurement(id: $id, reason: \"Falta el acta\") { id } }",
        json!({"id": rejected}),
    )
    .await;

    // Without a session: sent to sign in.
    let anon = WorkspaceClient::new(&app);
    let page = anon.get("/app/tareas").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location.unwrap().starts_with("/app/login"));

    let ca = WorkspaceClient::signed_in(&app, USER_A, TEST_PASSWORD).await;
    let page = ca.get("/app/tareas").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    for expected in [
        "Ecosistema moquegua",
        "ANUAL",
        "VAGUA",
        "Planta de agua",
        "rechazado: Falta el acta",
        "class=\"overdue\"",
        "vencido",
        &format!("/app/valor?indicador={}&amp;periodo=2024", s.yearly),
    ] {
        assert!(html.contains(expected), "{expected} missing in {html}");
    }
    // B's indicator is not A's task, and A may not look at B's.
    assert!(!html.contains("TRIM"), "{html}");
    let other = ca.get(&format!("/app/tareas?actor={}", s.actor_b)).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    assert!(!other.text().contains("TRIM"));
    let english = ca.get("/app/tareas?lang=en").await.text();
    assert!(english.contains("rejected: Falta el acta"), "{english}");

    let cb = WorkspaceClient::signed_in(&app, USER_B, TEST_PASSWORD).await;
    let html = cb.get("/app/tareas").await.text();
    assert!(html.contains("TRIM") && !html.contains("ANUAL") && !html.contains("VAGUA"));
    let hostile = cb.get("/app/tareas?actor=notanumber").await;
    assert_eq!(hostile.status, StatusCode::BAD_REQUEST);

    // B may not open A's value form by naming A's actor; a coordinator may, and submits on
    // A's behalf: the value is A's, awaiting review.
    let on_behalf = format!(
        "/app/valor?indicador={}&periodo=2024&actor={}",
        s.yearly, s.actor_a
    );
    assert_eq!(cb.get(&on_behalf).await.status, StatusCode::FORBIDDEN);
    app.create_user("coordina.valor@ayni.test", Role::Coordinator, None)
        .await;
    let co = WorkspaceClient::signed_in(&app, "coordina.valor@ayni.test", TEST_PASSWORD).await;
    let form = co.get(&on_behalf).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    assert!(form.text().contains("en su nombre"), "{}", form.text());
    let csrf = co.csrf(&on_behalf).await;
    let sent = co
        .post_multipart(
            &on_behalf,
            &[
                ("csrf", csrf.as_str()),
                ("value", "5"),
                ("evidenceText", "Oficio 12-2025"),
            ],
            Vec::new(),
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
    let after = app
        .app
        .assignments(
            &contributor(s.user_a, s.actor_a),
            "moquegua",
            chrono::Utc::now().date_naive(),
        )
        .await
        .unwrap();
    let sub = after
        .indicators
        .iter()
        .find(|a| a.code == "ANUAL")
        .and_then(|a| a.periods.iter().find(|p| p.period.to_string() == "2024"))
        .and_then(|p| p.submission.clone())
        .expect("the value sent on A's behalf");
    assert_eq!(sub.value, 5.0);
    assert_eq!(sub.evidence_text.as_deref(), Some("Oficio 12-2025"));

    // A monitor has no tasks.
    app.create_user("veedora@ayni.test", Role::Monitor, None)
        .await;
    let m = WorkspaceClient::signed_in(&app, "veedora@ayni.test", TEST_PASSWORD).await;
    assert_eq!(m.get("/app/tareas").await.status, StatusCode::FORBIDDEN);
}

async fn completeness_counts_expected_submitted_and_approved(app: TestApp) {
    use awc::http::StatusCode;
    let s = task_setup(&app).await;
    let a = Gql {
        app: &app,
        token: s.token_a.clone(),
    };
    let approved = id_of(
        &a.ok(
            SUBMIT,
            json!({"input": {"indicatorId": s.yearly, "period": "2023", "value": 3.0, "evidenceText": "Acta"}}),
        )
        .await,
        "submitMeasurement",
    );
    s.g.ok(
        "mutation($id: ID!) { approveMeasurement(id: $id) { id } }",
        json!({"id": approved}),
    )
    .await;
    a.ok(
        OBSERVE,
        json!({"input": {"variable": "VAGUA", "period": "2023", "territory": "1801", "value": 5.0, "evidenceText": "Padrón"}}),
    )
    .await;

    // Contributors may not see it.
    let ca = WorkspaceClient::signed_in(&app, USER_A, TEST_PASSWORD).await;
    assert_eq!(
        ca.get("/app/completitud").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        ca.get("/app/completitud.csv").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        ca.get("/app/completitud.xlsx").await.status,
        StatusCode::FORBIDDEN
    );

    app.create_user("coordina@ayni.test", Role::Coordinator, None)
        .await;
    let c = WorkspaceClient::signed_in(&app, "coordina@ayni.test", TEST_PASSWORD).await;
    let page = c
        .get(&format!(
            "/app/completitud?ecosistema=moquegua&actor={}",
            s.actor_a
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("Gobierno Regional de Moquegua") && html.contains("2023"));
    let csv = c
        .get(&format!(
            "/app/completitud.csv?ecosistema=moquegua&actor={}",
            s.actor_a
        ))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type.starts_with("text/csv"));
    let text = csv.text();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("ecosystem,actor,period,due,expected,submitted,approved,on_time,late,pending,overdue")
    );
    // 2023 of actor A: the indicator and the variable expected (the VEC's periods begin
    // after its 2023 baseline), both submitted late, one approved.
    let row = text
        .lines()
        .find(|l| l.contains(",2023,"))
        .unwrap_or_else(|| panic!("no 2023 row: {text}"));
    assert_eq!(
        row,
        "moquegua,Gobierno Regional de Moquegua,2023,2024-02-29,2,2,1,0,2,0,0"
    );
    assert!(!text.contains("Minera del Sur"), "{text}");
    let all = c.get("/app/completitud.csv").await.text();
    assert!(all.contains("Minera del Sur"));
    // The same rows as a workbook.
    let xlsx = c
        .get(&format!(
            "/app/completitud.xlsx?ecosistema=moquegua&actor={}",
            s.actor_a
        ))
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(
        xlsx.content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(
        ayni::domain::evidence::EvidenceKind::sniff(&xlsx.bytes),
        Some(ayni::domain::evidence::EvidenceKind::Xlsx)
    );
    assert_eq!(
        c.get("/app/completitud?ecosistema=no-existe").await.status,
        StatusCode::NOT_FOUND
    );
}
