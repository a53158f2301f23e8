//! Strategy maps over HTTP: ecosystems, perspectives, members, themes, objectives, links.

use serde_json::{Value, json};

use ayni::domain::{ActorKind, Role};

use crate::both_backends;
use crate::helpers::{TestApp, error_code};

both_backends!(
    an_ecosystem_is_created_with_four_perspectives_that_can_be_renamed_and_reordered,
    strategy_writes_need_a_coordinator_or_admin,
    objectives_members_and_themes_make_a_readable_map,
    links_keep_the_map_acyclic,
    deleting_a_linked_objective_needs_force,
    bad_strategy_input_names_the_field,
    reading_a_large_map_takes_a_bounded_number_of_queries,
);

/// Small GraphQL client for one logged-in user.
pub struct Gql<'a> {
    pub app: &'a TestApp,
    pub token: String,
}

impl Gql<'_> {
    pub async fn run(&self, query: &str, variables: Value) -> Value {
        self.app
            .graphql(Some(&self.token), query, variables)
            .await
            .body
    }

    /// Runs an operation that must succeed; returns `data`.
    pub async fn ok(&self, query: &str, variables: Value) -> Value {
        let body = self.run(query, variables).await;
        assert_eq!(body["errors"], Value::Null, "{query}: {body}");
        body["data"].clone()
    }
}

pub const CREATE_ECOSYSTEM: &str = "mutation($input: CreateEcosystemInput!) { createEcosystem(input: $input) { id slug perspectives { id kind name position } } }";
pub const CREATE_OBJECTIVE: &str =
    "mutation($input: CreateObjectiveInput!) { createObjective(input: $input) { id code } }";
pub const LINK: &str = "mutation($input: LinkObjectivesInput!) { linkObjectives(input: $input) { id cause { code } effect { code } description } }";

pub async fn coordinator(app: &TestApp) -> Gql<'_> {
    Gql {
        app,
        token: app.login_as(Role::Coordinator).await,
    }
}

pub async fn create_ecosystem(g: &Gql<'_>, slug: &str) -> Value {
    g.ok(
        CREATE_ECOSYSTEM,
        json!({"input": {"slug": slug, "name": format!("Ecosistema {slug}"), "territory": "18",
                         "mission": "Misión", "vision": "Visión", "horizonStart": 2023, "horizonEnd": 2030}}),
    )
    .await["createEcosystem"]
        .clone()
}

pub async fn create_objective(
    g: &Gql<'_>,
    ecosystem: &str,
    code: &str,
    perspective: &str,
) -> String {
    let d = g
        .ok(
            CREATE_OBJECTIVE,
            json!({"input": {"ecosystemId": ecosystem, "code": code, "name": format!("Objetivo {code}"), "perspective": perspective}}),
        )
        .await;
    d["createObjective"]["id"].as_str().unwrap().to_string()
}

pub async fn link(g: &Gql<'_>, cause: &str, effect: &str) -> Value {
    g.run(
        LINK,
        json!({"input": {"causeId": cause, "effectId": effect}}),
    )
    .await
}

async fn an_ecosystem_is_created_with_four_perspectives_that_can_be_renamed_and_reordered(
    app: TestApp,
) {
    let g = coordinator(&app).await;
    let eco = create_ecosystem(&g, "moquegua").await;
    let kinds: Vec<&str> = eco["perspectives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["RESULTS", "STAKEHOLDERS", "PROCESSES", "ENABLERS"]);
    let names: Vec<&str> = eco["perspectives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Resultados: triple valor",
            "Stakeholders del ecosistema",
            "Procesos y prácticas sostenibles",
            "Habilitadores y recursos clave"
        ]
    );
    let eco_id = eco["id"].as_str().unwrap();
    let enablers = eco["perspectives"][3]["id"].as_str().unwrap();

    let renamed = g
        .ok("mutation($id: ID!) { updatePerspective(id: $id, name: \"Capacidades habilitantes\") { name kind } }", json!({"id": enablers}))
        .await;
    assert_eq!(
        renamed["updatePerspective"]["name"],
        "Capacidades habilitantes"
    );

    let reordered = g
        .ok(
            "mutation($e: ID!) { reorderPerspectives(ecosystemId: $e, kinds: [ENABLERS, PROCESSES, STAKEHOLDERS, RESULTS]) { kind position } }",
            json!({"e": eco_id}),
        )
        .await;
    assert_eq!(
        reordered["reorderPerspectives"][0],
        json!({"kind": "ENABLERS", "position": 1})
    );

    let read = app
        .graphql(None, "{ ecosystem(slug: \"moquegua\") { territory horizonStart horizonEnd perspectives { kind name position } } }", json!({}))
        .await
        .body;
    let ps = &read["data"]["ecosystem"]["perspectives"];
    assert_eq!(ps[0]["kind"], "ENABLERS");
    assert_eq!(ps[0]["name"], "Capacidades habilitantes");
    assert_eq!(
        ps[3],
        json!({"kind": "RESULTS", "name": "Resultados: triple valor", "position": 4})
    );
    assert_eq!(read["data"]["ecosystem"]["horizonEnd"], 2030);

    for bad in [
        "[ENABLERS, PROCESSES, STAKEHOLDERS]",
        "[ENABLERS, ENABLERS, STAKEHOLDERS, RESULTS]",
    ] {
        let q = format!(
            "mutation($e: ID!) {{ reorderPerspectives(ecosystemId: $e, kinds: {bad}) {{ kind }} }}"
        );
        let body = g.run(&q, json!({"e": eco_id})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{bad}");
        assert_eq!(
            body["errors"][0]["extensions"]["fields"][0]["rule"],
            "permutation"
        );
    }

    let updated = g
        .ok(
            "mutation($id: ID!) { updateEcosystem(id: $id, input: {vision: \"Moquegua 2030: diversificada\", horizonEnd: 2035}) { vision horizonStart horizonEnd name } }",
            json!({"id": eco_id}),
        )
        .await;
    assert_eq!(
        updated["updateEcosystem"],
        json!({"vision": "Moquegua 2030: diversificada", "horizonStart": 2023, "horizonEnd": 2035, "name": "Ecosistema moquegua"})
    );

    let dup = g
        .run(CREATE_ECOSYSTEM, json!({"input": {"slug": "moquegua", "name": "Otra", "territory": "18", "horizonStart": 2023, "horizonEnd": 2030}}))
        .await;
    assert_eq!(error_code(&dup), "CONFLICT");
}

async fn strategy_writes_need_a_coordinator_or_admin(app: TestApp) {
    let g = coordinator(&app).await;
    let eco = create_ecosystem(&g, "ilo").await;
    let eco_id = eco["id"].as_str().unwrap();
    let oe1 = create_objective(&g, eco_id, "OE1", "RESULTS").await;
    let oe2 = create_objective(&g, eco_id, "OE2", "PROCESSES").await;
    let admin = Gql {
        app: &app,
        token: app.login_as(Role::Admin).await,
    };
    create_objective(&admin, eco_id, "OE3", "ENABLERS").await;

    for role in [Role::Monitor, Role::Contributor] {
        let other = Gql {
            app: &app,
            token: app.login_as(role).await,
        };
        let attempts = [
            (
                CREATE_ECOSYSTEM,
                json!({"input": {"slug": "x-eco", "name": "X", "territory": "18", "horizonStart": 2023, "horizonEnd": 2030}}),
            ),
            (
                CREATE_OBJECTIVE,
                json!({"input": {"ecosystemId": eco_id, "code": "OE9", "name": "Nueve", "perspective": "RESULTS"}}),
            ),
            (LINK, json!({"input": {"causeId": oe2, "effectId": oe1}})),
            (
                "mutation($e: ID!) { reorderPerspectives(ecosystemId: $e, kinds: [ENABLERS, PROCESSES, STAKEHOLDERS, RESULTS]) { kind } }",
                json!({"e": eco_id}),
            ),
            (
                "mutation($e: ID!) { createTheme(input: {ecosystemId: $e, code: \"T1\", name: \"Agua\"}) { id } }",
                json!({"e": eco_id}),
            ),
            (
                "mutation($id: ID!) { deleteObjective(id: $id, force: true) { code } }",
                json!({"id": oe1}),
            ),
        ];
        for (q, vars) in attempts {
            let body = other.run(q, vars).await;
            assert_eq!(error_code(&body), "FORBIDDEN", "{role:?}: {q}");
        }
    }
    let anonymous = app.graphql(None, CREATE_OBJECTIVE, json!({"input": {"ecosystemId": eco_id, "code": "OE9", "name": "Nueve", "perspective": "RESULTS"}})).await;
    assert_eq!(error_code(&anonymous.body), "UNAUTHENTICATED");
    let map = app.graphql(None, "{ ecosystem(slug: \"ilo\") { objectives { code } strategyMap { edges { cause { code } } } } }", json!({})).await;
    assert_eq!(
        map.body["data"]["ecosystem"]["objectives"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "nothing was written"
    );
    assert_eq!(
        map.body["data"]["ecosystem"]["strategyMap"]["edges"],
        json!([])
    );
}

async fn objectives_members_and_themes_make_a_readable_map(app: TestApp) {
    let g = coordinator(&app).await;
    let eco = create_ecosystem(&g, "moquegua").await;
    let eco_id = eco["id"].as_str().unwrap();
    let gore = app
        .create_actor(
            "Gobierno Regional de Moquegua",
            ActorKind::RegionalGovernment,
        )
        .await
        .to_string();
    let mine = app
        .create_actor("Anglo American Quellaveco", ActorKind::Company)
        .await
        .to_string();
    let outsider = app
        .create_actor("Empresa Ajena", ActorKind::Company)
        .await
        .to_string();
    for (actor, role) in [(&gore, "Gobierno regional"), (&mine, "Empresa minera")] {
        let m = g
            .ok("mutation($e: ID!, $a: ID!, $r: String!) { addEcosystemMember(ecosystemId: $e, actorId: $a, roleLabel: $r) { roleLabel actor { name } } }",
                json!({"e": eco_id, "a": actor, "r": role}))
            .await;
        assert_eq!(m["addEcosystemMember"]["roleLabel"], role);
    }
    let again = g
        .run("mutation($e: ID!, $a: ID!) { addEcosystemMember(ecosystemId: $e, actorId: $a, roleLabel: \"Otra vez\") { id } }", json!({"e": eco_id, "a": gore}))
        .await;
    assert_eq!(error_code(&again), "CONFLICT");

    let theme = g
        .ok("mutation($e: ID!) { createTheme(input: {ecosystemId: $e, code: \"AGUA\", name: \"Gestión integrada de recursos hídricos\"}) { id code kind } }", json!({"e": eco_id}))
        .await;
    assert_eq!(theme["createTheme"]["kind"], "THEME");
    let cluster = g
        .ok("mutation($e: ID!) { createTheme(input: {ecosystemId: $e, code: \"PISCO\", name: \"Clúster pisco\", kind: CLUSTER}) { id kind } }", json!({"e": eco_id}))
        .await;
    assert_eq!(cluster["createTheme"]["kind"], "CLUSTER");
    let theme_id = theme["createTheme"]["id"].as_str().unwrap();

    let oe1 = g
        .ok(
            CREATE_OBJECTIVE,
            json!({"input": {"ecosystemId": eco_id, "code": "OE1", "name": "Asegurar agua para todos los usos", "perspective": "RESULTS",
                             "themeId": theme_id, "weight": 2.0, "responsibleActorIds": [gore, mine]}}),
        )
        .await["createObjective"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let oe2 = create_objective(&g, eco_id, "OE2", "PROCESSES").await;
    let oe3 = create_objective(&g, eco_id, "OE3", "ENABLERS").await;
    let l = link(&g, &oe3, &oe2).await;
    assert_eq!(l["data"]["linkObjectives"]["cause"]["code"], "OE3");
    let l = g
        .ok(LINK, json!({"input": {"causeId": oe2, "effectId": oe1, "description": "Mejor gestión del agua asegura su disponibilidad"}}))
        .await;
    assert_eq!(
        l["linkObjectives"]["description"],
        "Mejor gestión del agua asegura su disponibilidad"
    );

    let stranger = g
        .run(CREATE_OBJECTIVE, json!({"input": {"ecosystemId": eco_id, "code": "OE4", "name": "Cuatro", "perspective": "RESULTS", "responsibleActorIds": [outsider]}}))
        .await;
    assert_eq!(error_code(&stranger), "BAD_USER_INPUT");
    assert_eq!(
        stranger["errors"][0]["extensions"]["fields"][0]["field"],
        "responsibleActorIds"
    );

    // Everyone reads the map, no login.
    let q = r#"{ ecosystem(slug: "moquegua") {
        members { roleLabel actor { name kind } }
        themes { code name kind }
        objectives(perspective: RESULTS) { code weight theme { code } responsibleActors { name } }
        byTheme: objectives(theme: "AGUA") { code }
        strategyMap { nodes { objective { id code name } perspective { kind position } theme { code } }
                      edges { cause { code } effect { code } description } } } }"#;
    let body = app.graphql(None, q, json!({})).await.body;
    assert_eq!(body["errors"], Value::Null, "{body}");
    let e = &body["data"]["ecosystem"];
    assert_eq!(e["members"].as_array().unwrap().len(), 2);
    assert_eq!(e["themes"][0]["code"], "AGUA");
    assert_eq!(
        e["objectives"],
        json!([{"code": "OE1", "weight": 2.0, "theme": {"code": "AGUA"},
        "responsibleActors": [{"name": "Anglo American Quellaveco"}, {"name": "Gobierno Regional de Moquegua"}]}])
    );
    assert_eq!(e["byTheme"], json!([{"code": "OE1"}]));
    let nodes = e["strategyMap"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3);
    let oe3_node = nodes
        .iter()
        .find(|n| n["objective"]["code"] == "OE3")
        .unwrap();
    assert_eq!(
        oe3_node["perspective"],
        json!({"kind": "ENABLERS", "position": 4})
    );
    assert_eq!(oe3_node["theme"], Value::Null);
    let edges = &e["strategyMap"]["edges"];
    assert_eq!(edges.as_array().unwrap().len(), 2);
    assert!(
        edges
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["cause"]["code"] == "OE2" && x["effect"]["code"] == "OE1")
    );

    let one = app
        .graphql(None, "query($id: ID!) { objective(id: $id) { code causes { code } effects { code } perspective { kind } ecosystem { slug } } }", json!({"id": oe2}))
        .await
        .body;
    assert_eq!(
        one["data"]["objective"],
        json!({"code": "OE2", "causes": [{"code": "OE3"}], "effects": [{"code": "OE1"}],
        "perspective": {"kind": "PROCESSES"}, "ecosystem": {"slug": "moquegua"}})
    );

    // Editing: move OE2 to another perspective, drop the theme of OE1.
    let moved = g
        .ok("mutation($id: ID!) { updateObjective(id: $id, input: {perspective: STAKEHOLDERS, name: \"Procesos del agua\"}) { name perspective { kind } } }", json!({"id": oe2}))
        .await;
    assert_eq!(
        moved["updateObjective"],
        json!({"name": "Procesos del agua", "perspective": {"kind": "STAKEHOLDERS"}})
    );
    let cleared = g
        .ok("mutation($id: ID!) { updateObjective(id: $id, input: {themeId: null}) { theme { code } weight responsibleActors { name } } }", json!({"id": oe1}))
        .await;
    assert_eq!(cleared["updateObjective"]["theme"], Value::Null);
    assert_eq!(
        cleared["updateObjective"]["weight"], 2.0,
        "omitted fields keep their value"
    );
    assert_eq!(
        cleared["updateObjective"]["responsibleActors"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let unlinked = g
        .ok("mutation($c: ID!, $e: ID!) { unlinkObjectives(causeId: $c, effectId: $e) { cause { code } effect { code } } }", json!({"c": oe3, "e": oe2}))
        .await;
    assert_eq!(unlinked["unlinkObjectives"]["cause"]["code"], "OE3");
    let gone = g
        .run(
            "mutation($c: ID!, $e: ID!) { unlinkObjectives(causeId: $c, effectId: $e) { id } }",
            json!({"c": oe3, "e": oe2}),
        )
        .await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
    let none = app
        .graphql(None, "{ ecosystem(slug: \"nada\") { id } }", json!({}))
        .await
        .body;
    assert_eq!(none["data"]["ecosystem"], Value::Null);
}

async fn links_keep_the_map_acyclic(app: TestApp) {
    let g = coordinator(&app).await;
    let eco = create_ecosystem(&g, "moquegua").await;
    let eco_id = eco["id"].as_str().unwrap();
    let other = create_ecosystem(&g, "tacna").await;
    let a = create_objective(&g, eco_id, "OE1", "ENABLERS").await;
    let b = create_objective(&g, eco_id, "OE2", "PROCESSES").await;
    let c = create_objective(&g, eco_id, "OE3", "STAKEHOLDERS").await;
    let d = create_objective(&g, eco_id, "OE4", "RESULTS").await;
    let foreign = create_objective(&g, other["id"].as_str().unwrap(), "OE1", "RESULTS").await;
    for (x, y) in [(&a, &b), (&b, &c), (&c, &d)] {
        assert_eq!(link(&g, x, y).await["errors"], Value::Null);
    }

    let cycle = link(&g, &d, &a).await;
    assert_eq!(error_code(&cycle), "CYCLE", "{cycle}");
    assert_eq!(
        cycle["errors"][0]["extensions"]["cycle"],
        json!(["OE4", "OE1", "OE2", "OE3", "OE4"])
    );
    let message = cycle["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("OE4 → OE1 → OE2 → OE3 → OE4"), "{message}");
    assert_eq!(error_code(&link(&g, &c, &b).await), "CYCLE");

    let self_link = link(&g, &a, &a).await;
    assert_eq!(error_code(&self_link), "BAD_USER_INPUT");
    assert_eq!(
        self_link["errors"][0]["extensions"]["fields"][0]["rule"],
        "self_link"
    );
    let duplicate = link(&g, &a, &b).await;
    assert_eq!(error_code(&duplicate), "CONFLICT");
    let cross = link(&g, &a, &foreign).await;
    assert_eq!(error_code(&cross), "BAD_USER_INPUT");
    assert_eq!(
        cross["errors"][0]["extensions"]["fields"][0]["rule"],
        "same_ecosystem"
    );
    let unknown = link(&g, &a, "99999").await;
    assert_eq!(error_code(&unknown), "BAD_USER_INPUT");

    // A shortcut that keeps the map acyclic is fine.
    assert_eq!(link(&g, &a, &d).await["errors"], Value::Null);
    let edges = app
        .graphql(
            None,
            "{ ecosystem(slug: \"moquegua\") { strategyMap { edges { cause { code } } } } }",
            json!({}),
        )
        .await
        .body;
    assert_eq!(
        edges["data"]["ecosystem"]["strategyMap"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

async fn deleting_a_linked_objective_needs_force(app: TestApp) {
    let g = coordinator(&app).await;
    let eco = create_ecosystem(&g, "moquegua").await;
    let eco_id = eco["id"].as_str().unwrap();
    let a = create_objective(&g, eco_id, "OE1", "ENABLERS").await;
    let b = create_objective(&g, eco_id, "OE2", "PROCESSES").await;
    let c = create_objective(&g, eco_id, "OE3", "RESULTS").await;
    link(&g, &a, &b).await;
    link(&g, &b, &c).await;

    const DELETE: &str = "mutation($id: ID!, $force: Boolean) { deleteObjective(id: $id, force: $force) { code removedLinks { causeId effectId } } }";
    let refused = g.run(DELETE, json!({"id": b})).await;
    assert_eq!(error_code(&refused), "CONFLICT");
    let message = refused["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("OE1 → OE2") && message.contains("OE2 → OE3") && message.contains("force"),
        "{message}"
    );

    let deleted = g.ok(DELETE, json!({"id": b, "force": true})).await;
    assert_eq!(deleted["deleteObjective"]["code"], "OE2");
    assert_eq!(
        deleted["deleteObjective"]["removedLinks"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // An unlinked objective goes without force.
    let plain = g.ok(DELETE, json!({"id": c})).await;
    assert_eq!(plain["deleteObjective"]["removedLinks"], json!([]));
    let left = app
        .graphql(None, "{ ecosystem(slug: \"moquegua\") { objectives { code } strategyMap { edges { cause { code } } } } }", json!({}))
        .await
        .body;
    assert_eq!(
        left["data"]["ecosystem"]["objectives"],
        json!([{"code": "OE1"}])
    );
    assert_eq!(left["data"]["ecosystem"]["strategyMap"]["edges"], json!([]));
}

async fn bad_strategy_input_names_the_field(app: TestApp) {
    let g = coordinator(&app).await;
    let field = |b: &Value| {
        b["errors"][0]["extensions"]["fields"][0]["field"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let base = json!({"slug": "moquegua", "name": "Moquegua", "territory": "18", "horizonStart": 2023, "horizonEnd": 2030});
    for (key, value, expected) in [
        ("slug", json!("Moquegua Región"), "slug"),
        ("territory", json!("1800"), "territory"),
        ("territory", json!("18A"), "territory"),
        ("horizonEnd", json!(2020), "horizon"),
        ("name", json!("x".repeat(201)), "name"),
    ] {
        let mut input = base.clone();
        input[key] = value;
        let body = g.run(CREATE_ECOSYSTEM, json!({"input": input})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{key}");
        assert_eq!(field(&body), expected, "{key}: {body}");
    }
    let eco = create_ecosystem(&g, "moquegua").await;
    let eco_id = eco["id"].as_str().unwrap();
    for (key, value, expected) in [
        ("code", json!("OE 1"), "code"),
        ("weight", json!(0), "weight"),
        ("weight", json!(-2.5), "weight"),
        ("themeId", json!("4242"), "themeId"),
    ] {
        let mut input =
            json!({"ecosystemId": eco_id, "code": "OE1", "name": "Uno", "perspective": "RESULTS"});
        input[key] = value;
        let body = g.run(CREATE_OBJECTIVE, json!({"input": input})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{key}");
        assert_eq!(field(&body), expected, "{key}: {body}");
    }
    let bad_perspective = g
        .run(CREATE_OBJECTIVE, json!({"input": {"ecosystemId": eco_id, "code": "OE1", "name": "Uno", "perspective": "FINANCIAL"}}))
        .await;
    assert_eq!(error_code(&bad_perspective), "BAD_USER_INPUT");
    create_objective(&g, eco_id, "OE1", "RESULTS").await;
    let dup = g
        .run(CREATE_OBJECTIVE, json!({"input": {"ecosystemId": eco_id, "code": "OE1", "name": "Otro", "perspective": "ENABLERS"}}))
        .await;
    assert_eq!(error_code(&dup), "CONFLICT");
    assert_eq!(field(&dup), "code");
    let objectives = app
        .graphql(
            None,
            "{ ecosystem(slug: \"moquegua\") { objectives { code } } }",
            json!({}),
        )
        .await
        .body;
    assert_eq!(
        objectives["data"]["ecosystem"]["objectives"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// Reads the whole map (nodes, edges, and per-objective causes, effects, perspective,
/// theme, responsible actors) and returns the SQL statements it took.
async fn queries_to_read_map(app: &TestApp, slug: &str) -> u64 {
    let q = r#"query($slug: String!) { ecosystem(slug: $slug) {
        perspectives { kind } members { actor { name } } themes { code }
        strategyMap { nodes { objective { code } perspective { kind } theme { code } }
                      edges { cause { code } effect { code } } }
        objectives { code perspective { kind } theme { code } responsibleActors { name }
                     causes { code } effects { code } ecosystem { slug } } } }"#;
    let before = app.app.queries_run();
    let body = app.graphql(None, q, json!({"slug": slug})).await.body;
    assert_eq!(body["errors"], Value::Null, "{body}");
    app.app.queries_run() - before
}

async fn build_map(app: &TestApp, slug: &str, objectives: usize, links_per_objective: usize) {
    use ayni::app::{Caller, EcosystemInput, ObjectiveInput};
    use ayni::domain::PerspectiveKind;
    let op = Caller::operator();
    let eco = app
        .app
        .create_ecosystem(
            &op,
            EcosystemInput {
                slug: slug.into(),
                name: slug.into(),
                territory: "18".into(),
                mission: String::new(),
                vision: String::new(),
                horizon_start: 2023,
                horizon_end: 2030,
            },
        )
        .await
        .unwrap();
    let actor = app
        .create_actor(&format!("Actor {slug}"), ActorKind::Company)
        .await;
    app.app
        .add_ecosystem_member(&op, eco.id, actor, "Empresa".into())
        .await
        .unwrap();
    let kinds = PerspectiveKind::DEFAULT_ORDER;
    let mut ids = Vec::new();
    for i in 0..objectives {
        let o = app
            .app
            .create_objective(
                &op,
                ObjectiveInput {
                    ecosystem_id: eco.id,
                    code: format!("OE{i}"),
                    name: format!("Objetivo {i}"),
                    description: String::new(),
                    perspective: kinds[i % 4],
                    theme_id: None,
                    weight: None,
                    responsible_actor_ids: vec![actor],
                },
            )
            .await
            .unwrap();
        ids.push(o.id);
    }
    // Links always go from a higher index to a lower one: acyclic by construction.
    for i in 1..objectives {
        for k in 1..=links_per_objective.min(i) {
            app.app
                .link_objectives(&op, ids[i], ids[i - k], String::new(), Default::default())
                .await
                .unwrap();
        }
    }
}

async fn reading_a_large_map_takes_a_bounded_number_of_queries(app: TestApp) {
    build_map(&app, "small", 10, 2).await;
    build_map(&app, "large", 200, 2).await;
    let small = queries_to_read_map(&app, "small").await;
    let large = queries_to_read_map(&app, "large").await;
    // One query per loader per level. Two loads of the same kind at different depths (the
    // actors of members and of objectives) may or may not share a batch, depending on
    // timing: allow that slack, nothing proportional to the map's size.
    assert!(
        large <= small + 2,
        "10 objectives took {small} queries, 200 took {large}"
    );
    assert!(
        large <= 20,
        "reading a 200-objective, ~400-link map took {large} queries"
    );
}
