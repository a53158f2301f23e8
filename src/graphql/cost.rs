//! The cost of a GraphQL operation, computed from its parsed document before anything else
//! looks at it (async-graphql's own validation expands fragments inline, and its complexity
//! limit skips `__typename`, so a small document can make it work for minutes).
//!
//! - Every field costs one point, `__typename` and introspection fields included, counted
//!   as the operation would be executed: a fragment spread costs its fragment's whole
//!   expanded cost. Each fragment's cost is computed once (memoised), so a fragment spread
//!   twice in each of 24 nested fragments costs 2^24 points without being expanded.
//! - Fields that read or compute over many rows ([`EXPENSIVE`]) cost more, and that extra
//!   is multiplied by [`LIST_FACTOR`] for every list field they sit under.
//! - A request, a batch as a whole, may spend at most [`MAX_COST`] points.

use std::collections::HashMap;
use std::sync::OnceLock;

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
    TypeKind, TypeSystemDefinition,
};

/// Most points one request (all the operations of a batch together) may spend.
pub const MAX_COST: u64 = 2000;

/// The extra each enclosing list multiplies an expensive field's extra cost by.
pub const LIST_FACTOR: u64 = 5;

/// Deepest nesting of selections and fragment spreads the cost pass follows; deeper
/// documents are refused (async-graphql's own depth limit is far lower).
pub const MAX_NESTING: usize = 64;

/// Fields that do real work, with the points they cost on top of the one every field costs:
/// `(parent type, field, extra points)`.
pub const EXPENSIVE: [(&str, &str, u64); 21] = [
    // Rehashes the whole audit log and compares every audited row with it.
    ("Query", "auditChain", 1000),
    // Roll-ups over every indicator and value of an ecosystem for a period.
    ("Ecosystem", "scorecard", 100),
    ("Ecosystem", "sharedValue", 100),
    ("Ecosystem", "cumulativeImpacts", 100),
    ("Vec", "cumulative", 50),
    // Lagged correlations over a series.
    ("HybridMetric", "causalCheck", 50),
    ("ObjectiveLink", "evidence", 50),
    // Series and value listings: every value of an indicator or variable.
    ("HybridMetric", "series", 20),
    ("Indicator", "series", 20),
    ("Indicator", "measurements", 10),
    ("Variable", "observations", 10),
    ("Variable", "values", 20),
    ("Variable", "usedBy", 5),
    // Every commitment of an ecosystem with its links and history.
    ("Ecosystem", "commitments", 10),
    ("Ecosystem", "commitmentCounts", 10),
    ("Objective", "commitments", 5),
    // An ecosystem's whole portfolio with every snapshot, alerts computed per investment.
    ("Ecosystem", "investments", 20),
    ("Ecosystem", "investmentSummary", 50),
    // Adds the year's scorecard (the indicators' gaps).
    ("Ecosystem", "investmentPriorities", 100),
    ("Objective", "investments", 10),
    ("Indicator", "investments", 10),
];

/// Why an operation is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// It (or the batch it belongs to) costs more than [`MAX_COST`].
    TooCostly { cost: u64 },
    /// Selections and fragment spreads nest deeper than [`MAX_NESTING`].
    TooDeep,
    /// A fragment spreads itself, directly or through others.
    FragmentCycle(String),
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Refusal::TooCostly { cost } => format!(
                "query is too complex: it costs {} points and a request may spend at most \
                 {MAX_COST} (every field costs 1 as expanded through fragments, expensive \
                 fields more; a batch shares one budget)",
                if *cost == u64::MAX {
                    "more than 18446744073709551614".to_string()
                } else {
                    cost.to_string()
                }
            ),
            Refusal::TooDeep => format!(
                "query is too complex: selections and fragment spreads nest deeper than \
                 {MAX_NESTING}"
            ),
            Refusal::FragmentCycle(name) => {
                format!("query is too complex: fragment `{name}` spreads itself")
            }
        }
    }
}

/// For each object type, its fields' named types and whether they are lists.
type Shape = HashMap<String, HashMap<String, (String, bool)>>;

static SHAPE: OnceLock<Shape> = OnceLock::new();

/// The served schema's shape, read once from its SDL.
fn shape() -> &'static Shape {
    SHAPE.get_or_init(|| shape_of(&super::sdl()))
}

/// Reads the shape from the SDL of the schema just built, at start-up, so that neither a
/// second build of the schema nor the reading falls on the first priced operation.
pub fn warm(sdl: &str) {
    SHAPE.get_or_init(|| shape_of(sdl));
}

fn shape_of(sdl: &str) -> Shape {
    let mut shape = Shape::new();
    let Ok(doc) = async_graphql::parser::parse_schema(sdl) else {
        return shape;
    };
    for def in doc.definitions {
        let TypeSystemDefinition::Type(ty) = def else {
            continue;
        };
        let fields = match &ty.node.kind {
            TypeKind::Object(o) => &o.fields,
            TypeKind::Interface(i) => &i.fields,
            _ => continue,
        };
        let entry = shape.entry(ty.node.name.node.to_string()).or_default();
        for f in fields {
            let mut t = &f.node.ty.node;
            let mut list = false;
            let name = loop {
                match &t.base {
                    BaseType::Named(n) => break n.to_string(),
                    BaseType::List(inner) => {
                        list = true;
                        t = inner;
                    }
                }
            };
            entry.insert(f.node.name.node.to_string(), (name, list));
        }
    }
    shape
}

/// A cost in two parts: plain points, and the expensive fields' extra, which enclosing
/// lists multiply.
#[derive(Clone, Copy, Default, Debug)]
struct Cost {
    plain: u64,
    extra: u64,
}

impl Cost {
    fn add(self, other: Cost) -> Cost {
        Cost {
            plain: self.plain.saturating_add(other.plain),
            extra: self.extra.saturating_add(other.extra),
        }
    }
    fn scaled(self, factor: u64) -> Cost {
        Cost {
            plain: self.plain,
            extra: self.extra.saturating_mul(factor),
        }
    }
    fn total(self) -> u64 {
        self.plain.saturating_add(self.extra)
    }
}

enum Memo {
    InProgress,
    Done(Cost),
}

struct Pass<'a> {
    doc: &'a ExecutableDocument,
    shape: &'a Shape,
    fragments: HashMap<&'a str, Memo>,
}

impl<'a> Pass<'a> {
    fn set(
        &mut self,
        set: &'a SelectionSet,
        ty: Option<&str>,
        depth: usize,
    ) -> Result<Cost, Refusal> {
        if depth > MAX_NESTING {
            return Err(Refusal::TooDeep);
        }
        let mut cost = Cost::default();
        for item in &set.items {
            let c = match &item.node {
                Selection::Field(f) => {
                    let name = f.node.name.node.as_str();
                    let field = ty
                        .and_then(|t| self.shape.get(t))
                        .and_then(|fs| fs.get(name));
                    let extra = ty.map_or(0, |t| {
                        EXPENSIVE
                            .iter()
                            .find(|(p, n, _)| *p == t && *n == name)
                            .map_or(0, |(_, _, w)| *w)
                    });
                    let child_ty = field.map(|(t, _)| t.as_str());
                    let children = self.set(&f.node.selection_set.node, child_ty, depth + 1)?;
                    let children = match field {
                        Some((_, true)) => children.scaled(LIST_FACTOR),
                        _ => children,
                    };
                    Cost { plain: 1, extra }.add(children)
                }
                Selection::InlineFragment(i) => {
                    let ty = match &i.node.type_condition {
                        Some(c) => Some(c.node.on.node.as_str()),
                        None => ty,
                    };
                    self.set(&i.node.selection_set.node, ty, depth + 1)?
                }
                Selection::FragmentSpread(s) => {
                    self.fragment(s.node.fragment_name.node.as_str(), depth + 1)?
                }
            };
            cost = cost.add(c);
        }
        Ok(cost)
    }

    fn fragment(&mut self, name: &str, depth: usize) -> Result<Cost, Refusal> {
        let doc = self.doc;
        let Some((key, def)) = doc.fragments.get_key_value(name) else {
            // An unknown fragment: the schema refuses the document with its own message.
            return Ok(Cost::default());
        };
        match self.fragments.get(key.as_str()) {
            Some(Memo::Done(c)) => return Ok(*c),
            Some(Memo::InProgress) => return Err(Refusal::FragmentCycle(name.to_string())),
            None => {}
        }
        self.fragments.insert(key.as_str(), Memo::InProgress);
        let ty = def.node.type_condition.node.on.node.as_str();
        let cost = self.set(&def.node.selection_set.node, Some(ty), depth)?;
        self.fragments.insert(key.as_str(), Memo::Done(cost));
        Ok(cost)
    }
}

/// The cost of the operation a request runs: the named one, the only one, or (when the
/// request names none of several) the dearest, so no choice can slip past the budget.
pub fn operation_cost(
    doc: &ExecutableDocument,
    operation_name: Option<&str>,
) -> Result<u64, Refusal> {
    let ops: Vec<_> = match (&doc.operations, operation_name) {
        (DocumentOperations::Single(op), _) => vec![op],
        (DocumentOperations::Multiple(ops), Some(name)) => match ops.get(name) {
            Some(op) => vec![op],
            None => ops.values().collect(),
        },
        (DocumentOperations::Multiple(ops), None) => ops.values().collect(),
    };
    let mut pass = Pass {
        doc,
        shape: shape(),
        fragments: HashMap::new(),
    };
    let mut dearest = 0u64;
    for op in ops {
        let root = match op.node.ty {
            OperationType::Query => "Query",
            OperationType::Mutation => "Mutation",
            OperationType::Subscription => "Subscription",
        };
        let cost = pass
            .set(&op.node.selection_set.node, Some(root), 0)?
            .total();
        dearest = dearest.max(cost);
    }
    Ok(dearest)
}

/// Adds an operation's cost to what the request has spent so far; refused past the budget.
pub fn spend(
    spent: &mut u64,
    doc: &ExecutableDocument,
    operation_name: Option<&str>,
) -> Result<(), Refusal> {
    let cost = operation_cost(doc, operation_name)?;
    *spent = spent.saturating_add(cost);
    if *spent > MAX_COST {
        return Err(Refusal::TooCostly { cost: *spent });
    }
    Ok(())
}

/// The same pricing as a schema extension, for operations that do not come through
/// `POST /graphql` (subscriptions over the WebSocket): each parsed document is priced before
/// it is validated or run, and refused past the budget with `QUERY_TOO_COMPLEX`.
pub struct CostGuard;

impl async_graphql::extensions::ExtensionFactory for CostGuard {
    fn create(&self) -> std::sync::Arc<dyn async_graphql::extensions::Extension> {
        std::sync::Arc::new(CostGuard)
    }
}

#[async_trait::async_trait]
impl async_graphql::extensions::Extension for CostGuard {
    async fn parse_query(
        &self,
        ctx: &async_graphql::extensions::ExtensionContext<'_>,
        query: &str,
        variables: &async_graphql::Variables,
        next: async_graphql::extensions::NextParseQuery<'_>,
    ) -> async_graphql::ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let mut spent = 0;
        if let Err(refusal) = spend(&mut spent, &doc, None) {
            use async_graphql::ErrorExtensions;
            let mut error = async_graphql::Error::new(refusal.message())
                .extend_with(|_, e| e.set("code", "QUERY_TOO_COMPLEX"))
                .into_server_error(async_graphql::Pos::default());
            // About the whole document, not a place in it.
            error.locations.clear();
            return Err(error);
        }
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cost(q: &str) -> Result<u64, Refusal> {
        let doc = async_graphql::parser::parse_query(q).unwrap();
        operation_cost(&doc, None)
    }

    #[test]
    fn the_schema_shape_knows_the_expensive_fields() {
        let s = shape();
        for (parent, field, _) in EXPENSIVE {
            assert!(
                s.get(parent).is_some_and(|f| f.contains_key(field)),
                "{parent}.{field} is not in the schema"
            );
        }
        assert_eq!(s["Query"]["ecosystems"], ("Ecosystem".to_string(), true));
    }

    #[test]
    fn every_field_counts_typename_too() {
        assert_eq!(cost("{ __typename }"), Ok(1));
        assert_eq!(cost("{ actors { id name } }"), Ok(3));
        assert_eq!(cost("{ a: actors { id } b: actors { id } }"), Ok(4));
    }

    #[test]
    fn fragments_count_as_expanded_without_being_expanded() {
        let frags: String = (0..24)
            .map(|i| format!("fragment F{i} on Query {{ ...F{} ...F{} }} ", i + 1, i + 1))
            .collect();
        let q = format!("query {{ ...F0 }} {frags} fragment F24 on Query {{ __typename }}");
        assert_eq!(cost(&q), Ok(1 << 24));
        let frags: String = (0..200)
            .map(|i| format!("fragment F{i} on Query {{ ...F{} ...F{} }} ", i + 1, i + 1))
            .collect();
        let q = format!("query {{ ...F0 }} {frags} fragment F200 on Query {{ __typename }}");
        assert_eq!(cost(&q), Err(Refusal::TooDeep));
    }

    #[test]
    fn the_standard_introspection_queries_cost_a_few_hundred_points() {
        for q in [
            include_str!("../../tests/fixtures/introspection-graphql-js-16.15.0.graphql"),
            include_str!("../../tests/fixtures/introspection-graphql-core-3.2.8.graphql"),
        ] {
            let c = cost(q).unwrap();
            assert!((50..500).contains(&c), "{c}");
        }
    }

    #[test]
    fn cycles_are_refused() {
        let q = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        assert_eq!(cost(q), Err(Refusal::FragmentCycle("A".into())));
    }

    #[test]
    fn expensive_fields_cost_their_work_and_lists_multiply_it() {
        assert_eq!(cost("{ auditChain { verified } }"), Ok(1002));
        let one =
            cost("{ ecosystem(slug: \"x\") { scorecard(period: \"2024\") { score } } }").unwrap();
        assert_eq!(one, 103);
        let all = cost("{ ecosystems { scorecard(period: \"2024\") { score } } }").unwrap();
        assert_eq!(all, 1 + 1 + 1 + 100 * LIST_FACTOR);
        // Through a fragment the same.
        let q = "{ ecosystems { ...S } } fragment S on Ecosystem { scorecard(period: \"2024\") { score } }";
        assert_eq!(cost(q), Ok(all));
    }

    #[test]
    fn a_batch_shares_one_budget() {
        let doc = async_graphql::parser::parse_query("{ auditChain { verified } }").unwrap();
        let mut spent = 0;
        assert!(spend(&mut spent, &doc, None).is_ok());
        assert!(matches!(
            spend(&mut spent, &doc, None),
            Err(Refusal::TooCostly { .. })
        ));
    }

    /// Random documents: nested selections, aliases, inline fragments and fragments spread
    /// any number of times (cycles included).
    fn document() -> impl Strategy<Value = String> {
        let names = prop::sample::select(vec![
            "actors",
            "auditChain",
            "ecosystems",
            "scorecard",
            "__typename",
            "id",
            "series",
            "nodes",
            "unknown",
        ]);
        let leaf = names.clone().prop_map(|n| n.to_string());
        let selection = leaf.prop_recursive(8, 64, 6, move |inner| {
            prop_oneof![
                (names.clone(), prop::collection::vec(inner.clone(), 1..5))
                    .prop_map(|(n, s)| format!("{n} {{ {} }}", s.join(" "))),
                (0u8..6).prop_map(|i| format!("...F{i}")),
                (0u16..500, names.clone(), inner.clone())
                    .prop_map(|(a, n, s)| format!("a{a}: {n} {{ {s} }}")),
                prop::collection::vec(inner, 1..4)
                    .prop_map(|s| format!("... on Query {{ {} }}", s.join(" "))),
            ]
        });
        (
            prop::collection::vec(selection.clone(), 1..4),
            prop::collection::vec(prop::collection::vec(selection, 1..6), 0..6),
        )
            .prop_map(|(op, frags)| {
                let mut q = format!("query {{ {} }}", op.join(" "));
                for (i, f) in frags.iter().enumerate() {
                    q.push_str(&format!(" fragment F{i} on Query {{ {} }}", f.join(" ")));
                }
                q
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn the_cost_pass_never_panics_and_ends_quickly(q in document()) {
            let Ok(doc) = async_graphql::parser::parse_query(&q) else { return Ok(()); };
            let started = std::time::Instant::now();
            let mut spent = 0;
            let _ = spend(&mut spent, &doc, None);
            let _ = operation_cost(&doc, Some("nope"));
            prop_assert!(started.elapsed() < std::time::Duration::from_millis(200), "{q}");
        }
    }
}
