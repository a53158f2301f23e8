//! The strategy map: perspectives as horizontal bands in the ecosystem's order, objectives
//! as boxes in their band, cause-effect links as arrows.

use std::collections::HashMap;
use std::fmt::Write;

use serde::Serialize;

use crate::app::StrategyMap;
use crate::app::model::Ecosystem;

/// The map as a document: what the SVG, DOT and JSON forms all show.
#[derive(Debug, Clone, Serialize)]
pub struct MapDocument {
    pub ecosystem: MapEcosystem,
    pub perspectives: Vec<MapBand>,
    pub links: Vec<MapLink>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MapEcosystem {
    pub slug: String,
    pub name: String,
    pub mission: String,
    pub vision: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MapBand {
    pub kind: String,
    pub name: String,
    pub position: i32,
    pub objectives: Vec<MapObjective>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MapObjective {
    pub code: String,
    pub name: String,
    pub theme: Option<String>,
    /// The objective's status for a period (`green`, `amber`, `red`, `grey`), when the map is
    /// drawn for one: the box is filled by status and marked with a shape and a word.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<MapStatus>,
    /// Where the objective's own page is, when the map links to it.
    #[serde(skip)]
    pub href: Option<String>,
}

/// A status as the map shows it: fill colour, a shape and a word (colour is never alone).
#[derive(Debug, Clone, Serialize)]
pub struct MapStatus {
    pub status: String,
    pub label: String,
}

fn status_style(status: &str) -> (&'static str, &'static str, &'static str) {
    // (fill, stroke, shape)
    match status {
        "green" => ("#dcefdc", "#2e7d32", "●"),
        "amber" => ("#fff0c2", "#9a6700", "▲"),
        "red" => ("#f8d7d4", "#b3261e", "■"),
        _ => ("#eceff1", "#5f6b76", "○"),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MapLink {
    pub cause: String,
    pub effect: String,
    pub description: String,
}

impl MapDocument {
    pub fn new(ecosystem: &Ecosystem, map: &StrategyMap) -> MapDocument {
        let themes: HashMap<i64, &str> =
            map.themes.iter().map(|t| (t.id, t.code.as_str())).collect();
        let codes: HashMap<i64, &str> = map
            .objectives
            .iter()
            .map(|o| (o.id, o.code.as_str()))
            .collect();
        let mut perspectives: Vec<_> = map.perspectives.iter().collect();
        perspectives.sort_by_key(|p| p.position);
        MapDocument {
            ecosystem: MapEcosystem {
                slug: ecosystem.slug.clone(),
                name: ecosystem.name.clone(),
                mission: ecosystem.mission.clone(),
                vision: ecosystem.vision.clone(),
            },
            perspectives: perspectives
                .into_iter()
                .map(|p| MapBand {
                    kind: p.kind.as_str().to_string(),
                    name: p.name.clone(),
                    position: p.position,
                    objectives: map
                        .objectives
                        .iter()
                        .filter(|o| o.perspective_id == p.id)
                        .map(|o| MapObjective {
                            code: o.code.clone(),
                            name: o.name.clone(),
                            theme: o
                                .theme_id
                                .and_then(|t| themes.get(&t))
                                .map(|t| t.to_string()),
                            status: None,
                            href: None,
                        })
                        .collect(),
                })
                .collect(),
            links: map
                .links
                .iter()
                .filter_map(|l| {
                    Some(MapLink {
                        cause: codes.get(&l.cause_id)?.to_string(),
                        effect: codes.get(&l.effect_id)?.to_string(),
                        description: l.description.clone(),
                    })
                })
                .collect(),
        }
    }
}

const WIDTH: f64 = 1200.0;
const LABEL_W: f64 = 190.0;
const BOX_W: f64 = 220.0;
const BOX_H: f64 = 74.0;
const GAP_X: f64 = 24.0;
const GAP_Y: f64 = 22.0;
const PAD: f64 = 20.0;
const TITLE_H: f64 = 56.0;
const BAND_FILLS: [&str; 4] = ["#eef4fb", "#f3f8ee", "#fbf5ea", "#f4eef8"];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Breaks text into lines of at most `width` characters, at most `max` lines (the last one
/// ends with … when text was cut).
fn wrap(text: &str, width: usize, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max {
        lines.truncate(max);
        if let Some(last) = lines.last_mut() {
            let kept: String = last.chars().take(width.saturating_sub(1)).collect();
            *last = format!("{kept}…");
        }
    }
    lines
}

#[derive(Clone, Copy)]
struct Placed {
    x: f64,
    y: f64,
}

/// The map as a standalone SVG document with a text alternative (`<title>`, `<desc>`).
pub fn to_svg(doc: &MapDocument) -> String {
    svg(doc, true)
}

/// The rules of the standalone SVG's `<style>` element; the portal serves the same rules in
/// its stylesheet (its Content-Security-Policy allows no inline style).
pub const SVG_STYLE: &str = ".band-label{font-size:14px;font-weight:600;fill:#1f2d3a}.code{font-size:12px;font-weight:700;fill:#1f2d3a}.name{font-size:11.5px;fill:#27323d}.title{font-size:20px;font-weight:700;fill:#1f2d3a}.status{font-size:11px;font-weight:600}";

/// The map to embed in a portal page: no `<style>` element (the stylesheet styles it).
pub fn to_svg_for_page(doc: &MapDocument) -> String {
    svg(doc, false)
}

fn svg(doc: &MapDocument, standalone: bool) -> String {
    let cols = (((WIDTH - LABEL_W - PAD) / (BOX_W + GAP_X)).floor() as usize).max(1);
    let mut placed: HashMap<&str, Placed> = HashMap::new();
    let mut bands = String::new();
    let mut nodes = String::new();
    let mut y = TITLE_H;
    for (i, band) in doc.perspectives.iter().enumerate() {
        let rows = band.objectives.len().div_ceil(cols).max(1);
        let height = rows as f64 * (BOX_H + GAP_Y) + GAP_Y;
        let fill = BAND_FILLS[i % BAND_FILLS.len()];
        let _ = write!(
            bands,
            r##"<g class="band" data-kind="{kind}"><rect x="0" y="{y}" width="{WIDTH}" height="{height}" fill="{fill}" stroke="#c9d3df"/>"##,
            kind = esc(&band.kind),
        );
        for (j, line) in wrap(&band.name, 22, 4).iter().enumerate() {
            let _ = write!(
                bands,
                r#"<text x="14" y="{ty}" class="band-label">{line}</text>"#,
                ty = y + 28.0 + j as f64 * 18.0,
                line = esc(line)
            );
        }
        bands.push_str("</g>\n");
        for (k, o) in band.objectives.iter().enumerate() {
            let x = LABEL_W + PAD + (k % cols) as f64 * (BOX_W + GAP_X);
            let by = y + GAP_Y + (k / cols) as f64 * (BOX_H + GAP_Y);
            placed.insert(o.code.as_str(), Placed { x, y: by });
            let theme = o
                .theme
                .as_deref()
                .map(|t| format!(" · {}", esc(t)))
                .unwrap_or_default();
            let (fill, stroke, shape) = o
                .status
                .as_ref()
                .map_or(("#ffffff", "#34506b", ""), |s| status_style(&s.status));
            let status_text = o
                .status
                .as_ref()
                .map(|s| format!(" — {}", esc(&s.label)))
                .unwrap_or_default();
            if let Some(href) = &o.href {
                let _ = write!(nodes, r#"<a href="{}">"#, esc(href));
            }
            let _ = write!(
                nodes,
                r##"<g class="objective" data-code="{code}" data-status="{st}"><title>{code}: {name}{status_text}</title><rect x="{x}" y="{by}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/><text x="{tx}" y="{ty}" class="code">{code}{theme}</text>"##,
                code = esc(&o.code),
                name = esc(&o.name),
                st = o.status.as_ref().map_or("", |s| s.status.as_str()),
                tx = x + 10.0,
                ty = by + 18.0,
            );
            if let Some(s) = &o.status {
                let _ = write!(
                    nodes,
                    r##"<text x="{sx}" y="{ty}" class="status" text-anchor="end" fill="{stroke}">{shape} {label}</text>"##,
                    sx = x + BOX_W - 8.0,
                    ty = by + 18.0,
                    label = esc(&s.label),
                );
            }
            for (j, line) in wrap(&o.name, 32, 3).iter().enumerate() {
                let _ = write!(
                    nodes,
                    r#"<text x="{tx}" y="{ty}" class="name">{line}</text>"#,
                    tx = x + 10.0,
                    ty = by + 36.0 + j as f64 * 14.0,
                    line = esc(line)
                );
            }
            nodes.push_str("</g>");
            if o.href.is_some() {
                nodes.push_str("</a>");
            }
            nodes.push('\n');
        }
        y += height;
    }
    let mut edges = String::new();
    for l in &doc.links {
        let (Some(c), Some(e)) = (placed.get(l.cause.as_str()), placed.get(l.effect.as_str()))
        else {
            continue;
        };
        let path = if (c.y - e.y).abs() < 1.0 {
            // Same row: an arc over the boxes between them, top edge to top edge.
            let (x1, x2) = (c.x + BOX_W / 2.0, e.x + BOX_W / 2.0);
            let top = c.y;
            format!(
                "M{x1},{top} Q{},{} {x2},{top}",
                (x1 + x2) / 2.0,
                top - GAP_Y * 1.6
            )
        } else if e.y < c.y {
            format!(
                "M{},{} L{},{}",
                c.x + BOX_W / 2.0,
                c.y,
                e.x + BOX_W / 2.0,
                e.y + BOX_H
            )
        } else {
            format!(
                "M{},{} L{},{}",
                c.x + BOX_W / 2.0,
                c.y + BOX_H,
                e.x + BOX_W / 2.0,
                e.y
            )
        };
        let _ = writeln!(
            edges,
            r##"<g class="link" data-cause="{cause}" data-effect="{effect}"><title>{cause} → {effect}{desc}</title><path d="{path}" fill="none" stroke="#5b6b7b" stroke-width="1.4" marker-end="url(#arrow)"/></g>"##,
            cause = esc(&l.cause),
            effect = esc(&l.effect),
            desc = if l.description.is_empty() {
                String::new()
            } else {
                format!(": {}", esc(&l.description))
            },
        );
    }
    let height = y + PAD;
    let count: usize = doc.perspectives.iter().map(|b| b.objectives.len()).sum();
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-labelledby="map-title map-desc" font-family="system-ui, sans-serif">
<title id="map-title">Mapa estratégico: {name}</title>
<desc id="map-desc">{count} objetivos en {bands} perspectivas y {links} relaciones causa-efecto.</desc>
{style}<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5b6b7b"/></marker></defs>
<text x="14" y="34" class="title">{name}</text>
{bands_svg}{edges}{nodes}</svg>
"##,
        name = esc(&doc.ecosystem.name),
        bands = doc.perspectives.len(),
        links = doc.links.len(),
        bands_svg = bands,
        style = if standalone {
            format!("<style>{SVG_STYLE}</style>\n")
        } else {
            String::new()
        },
    )
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn dot_string(s: &str) -> String {
    format!("\"{}\"", dot_escape(s))
}

/// The map in Graphviz DOT: one cluster per perspective, causes below their effects.
pub fn to_dot(doc: &MapDocument) -> String {
    let mut out = format!(
        "digraph strategy_map {{\n  label={};\n  labelloc=t;\n  rankdir=BT;\n  node [shape=box, style=rounded, fontname=\"sans-serif\"];\n",
        dot_string(&doc.ecosystem.name)
    );
    for (i, band) in doc.perspectives.iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph cluster_{i} {{\n    label={};",
            dot_string(&band.name)
        );
        for o in &band.objectives {
            let label = format!("\"{}\\n{}\"", dot_escape(&o.code), dot_escape(&o.name));
            let _ = writeln!(out, "    {} [label={label}];", dot_string(&o.code));
        }
        out.push_str("  }\n");
    }
    for l in &doc.links {
        let _ = writeln!(
            out,
            "  {} -> {};",
            dot_string(&l.cause),
            dot_string(&l.effect)
        );
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> MapDocument {
        let o = |code: &str, name: &str| MapObjective {
            code: code.into(),
            name: name.into(),
            theme: None,
            status: None,
            href: None,
        };
        MapDocument {
            ecosystem: MapEcosystem {
                slug: "m".into(),
                name: "Moquegua <demo> & co".into(),
                mission: String::new(),
                vision: String::new(),
            },
            perspectives: vec![
                MapBand {
                    kind: "results".into(),
                    name: "Resultados".into(),
                    position: 1,
                    objectives: vec![o("OE1", "Ingreso")],
                },
                MapBand {
                    kind: "enablers".into(),
                    name: "Habilitadores".into(),
                    position: 2,
                    objectives: vec![o("OE2", "Datos \"abiertos\"")],
                },
            ],
            links: vec![MapLink {
                cause: "OE2".into(),
                effect: "OE1".into(),
                description: "porque sí".into(),
            }],
        }
    }

    #[test]
    fn svg_has_bands_in_order_boxes_and_arrows_with_escaped_text() {
        let svg = to_svg(&doc());
        let results = svg.find(r#"data-kind="results""#).unwrap();
        let enablers = svg.find(r#"data-kind="enablers""#).unwrap();
        assert!(results < enablers, "bands in the ecosystem's order");
        assert_eq!(svg.matches(r#"class="objective""#).count(), 2);
        assert!(svg.contains(r#"data-cause="OE2" data-effect="OE1""#));
        assert!(svg.contains("Moquegua &lt;demo&gt; &amp; co"));
        assert!(svg.contains("Datos &quot;abiertos&quot;"));
        assert!(!svg.contains("<demo>"));
    }

    #[test]
    fn statuses_show_as_fill_shape_and_word_and_boxes_can_link() {
        let mut d = doc();
        let o = &mut d.perspectives[0].objectives[0];
        o.status = Some(MapStatus {
            status: "red".into(),
            label: "Crítico".into(),
        });
        o.href = Some("/e/m/i/I1?x=1&y=2".into());
        let svg = to_svg(&d);
        assert!(svg.contains(r#"data-status="red""#));
        assert!(
            svg.contains("■ Crítico"),
            "a shape and a word, not colour alone"
        );
        assert!(svg.contains(r##"fill="#f8d7d4""##));
        assert!(svg.contains(r#"<a href="/e/m/i/I1?x=1&amp;y=2">"#));
        assert_eq!(svg.matches("<a ").count(), svg.matches("</a>").count());
    }

    #[test]
    fn dot_has_clusters_and_edges() {
        let dot = to_dot(&doc());
        assert!(dot.starts_with("digraph strategy_map {"));
        assert_eq!(dot.matches("subgraph cluster_").count(), 2);
        assert!(dot.contains("\"OE2\" -> \"OE1\";"));
        assert!(dot.contains(r#"Datos \"abiertos\""#));
    }

    #[test]
    fn long_names_wrap_and_are_cut_with_an_ellipsis() {
        let lines = wrap(
            "uno dos tres cuatro cinco seis siete ocho nueve diez",
            10,
            2,
        );
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'));
        assert_eq!(wrap("corto", 10, 2), vec!["corto"]);
    }
}
