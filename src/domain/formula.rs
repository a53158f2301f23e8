//! Formulas over variable codes, e.g. `100 * V012 / V045` or `avg(V001, V002) - V003`:
//! numbers, `+ - * /`, parentheses, unary minus, and the functions `min`, `max`, `abs`,
//! `sum`, `avg`. A small recursive-descent parser; errors name the position.
//!
//! Evaluation never invents data: a missing input gives no value (naming what is missing),
//! and a division by zero gives no value with that reason.

use std::collections::BTreeSet;
use std::fmt;

/// A function a formula may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Min,
    Max,
    Abs,
    Sum,
    Avg,
}

impl Func {
    fn from_name(name: &str) -> Option<Func> {
        match name.to_ascii_lowercase().as_str() {
            "min" => Some(Func::Min),
            "max" => Some(Func::Max),
            "abs" => Some(Func::Abs),
            "sum" => Some(Func::Sum),
            "avg" => Some(Func::Avg),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Func::Min => "min",
            Func::Max => "max",
            Func::Abs => "abs",
            Func::Sum => "sum",
            Func::Avg => "avg",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// A parsed formula.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(f64),
    Var(String),
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
}

/// A syntax error: what, and where (1-based character position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub position: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at position {}: {}", self.position, self.message)
    }
}

/// Why a formula gave no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    /// These inputs have no value for the period and territory.
    Missing(Vec<String>),
    DivisionByZero,
    /// The result overflowed to ±∞ or NaN.
    NotFinite,
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::Missing(vars) => write!(f, "no value for {}", vars.join(", ")),
            EvalError::DivisionByZero => f.write_str("division by zero"),
            EvalError::NotFinite => f.write_str("the result is not a finite number"),
        }
    }
}

/// Longest formula accepted, in characters.
pub const MAX_LEN: usize = 1000;
/// Deepest nesting accepted.
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    chars: Vec<(usize, char)>,
    at: usize,
    text: &'a str,
    depth: usize,
    /// Every variable reference and its 1-based position, in order.
    refs: Vec<(String, usize)>,
}

impl Parser<'_> {
    fn position(&self) -> usize {
        self.at + 1
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            position: self.position(),
            message: message.into(),
        }
    }

    fn skip_spaces(&mut self) {
        while self
            .chars
            .get(self.at)
            .is_some_and(|(_, c)| c.is_whitespace())
        {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_spaces();
        self.chars.get(self.at).map(|(_, c)| *c)
    }

    fn expr(&mut self) -> Result<Expr, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("the formula nests too deeply"));
        }
        let mut left = self.term()?;
        while let Some(c @ ('+' | '-')) = self.peek() {
            self.at += 1;
            let right = self.term()?;
            let op = if c == '+' { BinOp::Add } else { BinOp::Sub };
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        while let Some(c @ ('*' | '/')) = self.peek() {
            self.at += 1;
            let right = self.unary()?;
            let op = if c == '*' { BinOp::Mul } else { BinOp::Div };
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.peek() == Some('-') {
            self.at += 1;
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(self.error("the formula nests too deeply"));
            }
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Neg(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        match self.peek() {
            None => {
                Err(self
                    .error("expected a number, a variable, a function or '(' but the formula ends"))
            }
            Some('(') => {
                self.at += 1;
                let inner = self.expr()?;
                if self.peek() != Some(')') {
                    return Err(self.error("expected ')'"));
                }
                self.at += 1;
                Ok(inner)
            }
            Some(c) if c.is_ascii_digit() || c == '.' => self.number(),
            Some(c) if c.is_ascii_alphabetic() => self.name(),
            Some(c) => Err(self.error(format!("unexpected '{c}'"))),
        }
    }

    fn number(&mut self) -> Result<Expr, ParseError> {
        let start = self.at;
        while self
            .chars
            .get(self.at)
            .is_some_and(|(_, c)| c.is_ascii_digit() || *c == '.')
        {
            self.at += 1;
        }
        // An exponent: 1e6, 2.5E-3.
        if self
            .chars
            .get(self.at)
            .is_some_and(|(_, c)| matches!(c, 'e' | 'E'))
        {
            let save = self.at;
            self.at += 1;
            if self
                .chars
                .get(self.at)
                .is_some_and(|(_, c)| matches!(c, '+' | '-'))
            {
                self.at += 1;
            }
            if self
                .chars
                .get(self.at)
                .is_some_and(|(_, c)| c.is_ascii_digit())
            {
                while self
                    .chars
                    .get(self.at)
                    .is_some_and(|(_, c)| c.is_ascii_digit())
                {
                    self.at += 1;
                }
            } else {
                self.at = save;
            }
        }
        let text = self.slice(start, self.at);
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Expr::Num(v)),
            _ => Err(ParseError {
                position: start + 1,
                message: format!("'{text}' is not a number"),
            }),
        }
    }

    fn slice(&self, start: usize, end: usize) -> &str {
        let from = self.chars.get(start).map_or(self.text.len(), |(i, _)| *i);
        let to = self.chars.get(end).map_or(self.text.len(), |(i, _)| *i);
        &self.text[from..to]
    }

    fn name(&mut self) -> Result<Expr, ParseError> {
        let start = self.at;
        while self
            .chars
            .get(self.at)
            .is_some_and(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
        {
            self.at += 1;
        }
        let name = self.slice(start, self.at).to_string();
        if self.peek() == Some('(') {
            let func = Func::from_name(&name).ok_or(ParseError {
                position: start + 1,
                message: format!("unknown function '{name}'; use min, max, abs, sum or avg"),
            })?;
            self.at += 1;
            let mut args = Vec::new();
            if self.peek() == Some(')') {
                self.at += 1;
            } else {
                loop {
                    args.push(self.expr()?);
                    match self.peek() {
                        Some(',') => self.at += 1,
                        Some(')') => {
                            self.at += 1;
                            break;
                        }
                        _ => return Err(self.error("expected ',' or ')'")),
                    }
                }
            }
            let ok = match func {
                Func::Abs => args.len() == 1,
                _ => !args.is_empty(),
            };
            if !ok {
                return Err(ParseError {
                    position: start + 1,
                    message: match func {
                        Func::Abs => "abs takes exactly one argument".to_string(),
                        f => format!("{} takes at least one argument", f.name()),
                    },
                });
            }
            return Ok(Expr::Call(func, args));
        }
        self.refs.push((name.clone(), start + 1));
        Ok(Expr::Var(name))
    }
}

/// A variable reference in a formula's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub code: String,
    /// 1-based character position.
    pub position: usize,
}

impl Expr {
    pub fn parse(text: &str) -> Result<Expr, ParseError> {
        Expr::parse_with_references(text).map(|(e, _)| e)
    }

    /// Parses, and lists every variable reference with its position (for messages such as
    /// "unknown variable at position 7").
    pub fn parse_with_references(text: &str) -> Result<(Expr, Vec<Reference>), ParseError> {
        if text.chars().count() > MAX_LEN {
            return Err(ParseError {
                position: MAX_LEN + 1,
                message: format!("a formula has at most {MAX_LEN} characters"),
            });
        }
        let mut p = Parser {
            chars: text.char_indices().collect(),
            at: 0,
            text,
            depth: 0,
            refs: Vec::new(),
        };
        let expr = p.expr()?;
        if let Some(c) = p.peek() {
            return Err(p.error(format!("unexpected '{c}' after a complete expression")));
        }
        let refs = p
            .refs
            .into_iter()
            .map(|(code, position)| Reference { code, position })
            .collect();
        Ok((expr, refs))
    }

    /// The variable codes the formula uses, sorted.
    pub fn variables(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.collect(&mut out);
        out
    }

    fn collect(&self, out: &mut BTreeSet<String>) {
        match self {
            Expr::Num(_) => {}
            Expr::Var(v) => {
                out.insert(v.clone());
            }
            Expr::Neg(e) => e.collect(out),
            Expr::Bin(_, a, b) => {
                a.collect(out);
                b.collect(out);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.collect(out)),
        }
    }

    /// Evaluates with the values `lookup` gives; every missing input is reported at once.
    pub fn eval(&self, lookup: &dyn Fn(&str) -> Option<f64>) -> Result<f64, EvalError> {
        let missing: Vec<String> = self
            .variables()
            .into_iter()
            .filter(|v| lookup(v).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(EvalError::Missing(missing));
        }
        let v = self.value(lookup)?;
        if v.is_finite() {
            Ok(v)
        } else {
            Err(EvalError::NotFinite)
        }
    }

    fn value(&self, lookup: &dyn Fn(&str) -> Option<f64>) -> Result<f64, EvalError> {
        Ok(match self {
            Expr::Num(n) => *n,
            Expr::Var(v) => lookup(v).ok_or_else(|| EvalError::Missing(vec![v.clone()]))?,
            Expr::Neg(e) => -e.value(lookup)?,
            Expr::Bin(op, a, b) => {
                let (a, b) = (a.value(lookup)?, b.value(lookup)?);
                match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div if b == 0.0 => return Err(EvalError::DivisionByZero),
                    BinOp::Div => a / b,
                }
            }
            Expr::Call(func, args) => {
                let vals = args
                    .iter()
                    .map(|a| a.value(lookup))
                    .collect::<Result<Vec<f64>, _>>()?;
                match func {
                    Func::Abs => vals.first().map_or(0.0, |v| v.abs()),
                    Func::Min => vals.iter().copied().fold(f64::INFINITY, f64::min),
                    Func::Max => vals.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    Func::Sum => vals.iter().sum(),
                    Func::Avg => vals.iter().sum::<f64>() / vals.len() as f64,
                }
            }
        })
    }
}

/// Fully parenthesised, so that printing and parsing again gives the same formula.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Num(n) => write!(f, "{n:?}"),
            Expr::Var(v) => f.write_str(v),
            Expr::Neg(e) => write!(f, "(-{e})"),
            Expr::Bin(op, a, b) => {
                let s = match op {
                    BinOp::Add => "+",
                    BinOp::Sub => "-",
                    BinOp::Mul => "*",
                    BinOp::Div => "/",
                };
                write!(f, "({a} {s} {b})")
            }
            Expr::Call(func, args) => {
                let parts: Vec<String> = args.iter().map(ToString::to_string).collect();
                write!(f, "{}({})", func.name(), parts.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn eval(text: &str, vars: &[(&str, f64)]) -> Result<f64, EvalError> {
        let map: HashMap<String, f64> = vars.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        Expr::parse(text).unwrap().eval(&|v| map.get(v).copied())
    }

    #[test]
    fn precedence_unary_minus_parentheses_and_functions() {
        assert_eq!(
            eval("100 * V012 / V045", &[("V012", 30.0), ("V045", 120.0)]),
            Ok(25.0)
        );
        assert_eq!(eval("1 + 2 * 3", &[]), Ok(7.0));
        assert_eq!(eval("(1 + 2) * 3", &[]), Ok(9.0));
        assert_eq!(eval("10 - 4 - 3", &[]), Ok(3.0), "left associative");
        assert_eq!(eval("-V1 * 2", &[("V1", 3.0)]), Ok(-6.0));
        assert_eq!(eval("--2", &[]), Ok(2.0));
        assert_eq!(
            eval("min(3, V1, 5) + max(1, 2) + abs(-4)", &[("V1", 2.0)]),
            Ok(8.0)
        );
        assert_eq!(eval("sum(1, 2, 3) / avg(2, 4)", &[]), Ok(2.0));
        assert_eq!(eval("AVG(V1, V2)", &[("V1", 1.0), ("V2", 2.0)]), Ok(1.5));
        assert_eq!(eval("2.5e2 + .5", &[]), Ok(250.5));
        let vars: Vec<String> = Expr::parse("V2 + avg(V1, V2) * V10")
            .unwrap()
            .variables()
            .into_iter()
            .collect();
        assert_eq!(vars, ["V1", "V10", "V2"]);
    }

    #[test]
    fn missing_inputs_and_division_by_zero_give_no_value_with_a_reason() {
        assert_eq!(
            eval("V1 + V2 + V3", &[("V2", 1.0)]),
            Err(EvalError::Missing(vec!["V1".into(), "V3".into()]))
        );
        assert_eq!(
            eval("V1 / V2", &[("V1", 1.0), ("V2", 0.0)]),
            Err(EvalError::DivisionByZero)
        );
        assert_eq!(eval("1e308 * 10", &[]), Err(EvalError::NotFinite));
        assert_eq!(
            EvalError::Missing(vec!["V1".into()]).to_string(),
            "no value for V1"
        );
    }

    #[test]
    fn syntax_errors_name_the_position() {
        let e = Expr::parse("100 * (V1 + ").unwrap_err();
        assert_eq!(e.position, 13);
        let e = Expr::parse("V1 + * V2").unwrap_err();
        assert_eq!((e.position, e.message.as_str()), (6, "unexpected '*'"));
        let e = Expr::parse("median(V1)").unwrap_err();
        assert_eq!(e.position, 1);
        assert!(e.message.contains("unknown function 'median'"));
        assert!(
            Expr::parse("abs(1, 2)")
                .unwrap_err()
                .message
                .contains("exactly one")
        );
        assert!(Expr::parse("max()").is_err());
        assert_eq!(Expr::parse("(1 + 2").unwrap_err().message, "expected ')'");
        assert_eq!(Expr::parse("V1 V2").unwrap_err().position, 4);
        assert!(Expr::parse("1..2").is_err());
        assert!(Expr::parse(&"(".repeat(100)).is_err(), "nesting is bounded");
        assert!(Expr::parse("").is_err());
        assert!(Expr::parse("ñ + 1").is_err());
    }

    fn any_expr() -> impl Strategy<Value = Expr> {
        let leaf = prop_oneof![
            (0u32..1000).prop_map(|n| Expr::Num(f64::from(n) / 4.0)),
            "V[0-9]{3}".prop_map(Expr::Var),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(|e| Expr::Neg(Box::new(e))),
                (inner.clone(), inner.clone(), 0usize..4).prop_map(|(a, b, op)| {
                    let op = [BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div][op];
                    Expr::Bin(op, Box::new(a), Box::new(b))
                }),
                (proptest::collection::vec(inner, 1..4), 0usize..4).prop_map(|(args, f)| {
                    Expr::Call([Func::Min, Func::Max, Func::Sum, Func::Avg][f], args)
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn printing_and_parsing_again_gives_the_same_formula(e in any_expr()) {
            prop_assert_eq!(Expr::parse(&e.to_string()).unwrap(), e);
        }

        // Any text: no panic, and a rejection says what and where (inside the text or just
        // past its end).
        #[test]
        fn arbitrary_text_is_parsed_or_explained(s in "\\PC{0,40}") {
            if let Err(e) = Expr::parse(&s) {
                prop_assert!(!e.message.is_empty());
                prop_assert!(e.position >= 1 && e.position <= s.chars().count().max(1) + 1);
            }
        }

        // Formula-shaped text (codes, numbers, operators, brackets, function names, commas in
        // any order and nesting): the same guarantees on inputs that reach deep into the parser.
        #[test]
        fn formula_shaped_text_is_parsed_or_explained(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("V001".to_string()), Just("v12".to_string()), Just("(".to_string()),
                    Just(")".to_string()), Just("+".to_string()), Just("-".to_string()),
                    Just("*".to_string()), Just("/".to_string()), Just(",".to_string()),
                    Just("min(".to_string()), Just("avg(".to_string()), Just("sum".to_string()),
                    Just(" ".to_string()), "[0-9.eE+-]{1,6}", "[A-Za-z_]{1,4}",
                ],
                0..80,
            )
        ) {
            let s = parts.concat();
            match Expr::parse(&s) {
                Ok(e) => {
                    let printed = e.to_string();
                    if printed.chars().count() <= MAX_LEN {
                        prop_assert_eq!(Expr::parse(&printed).unwrap(), e);
                    }
                }
                Err(e) => {
                    prop_assert!(!e.message.is_empty());
                    prop_assert!(e.position >= 1 && e.position <= s.chars().count() + 1);
                }
            }
        }

        // Nesting past the limit is refused, not a stack overflow.
        #[test]
        fn deep_nesting_is_refused(depth in 65usize..5000) {
            let s = format!("{}V001{}", "(".repeat(depth), ")".repeat(depth));
            prop_assert!(Expr::parse(&s).is_err());
            let s = format!("{}V001", "-".repeat(depth));
            prop_assert!(Expr::parse(&s).is_err());
        }
    }
}
