//! Charts drawn on the server as SVG: no script, no network, readable by screen readers
//! through their `<title>` and `<desc>` (each page also shows the same data as a table).

use std::fmt::Write;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A number as people read it: up to two decimals, no trailing zeros.
pub fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    if s == "-0" { "0".into() } else { s }
}

/// One named series of a line chart; `None` leaves a gap.
pub struct Series<'a> {
    pub name: &'a str,
    pub values: Vec<Option<f64>>,
    pub colour: &'a str,
    pub dashed: bool,
    /// Draw points only (targets).
    pub points_only: bool,
}

/// The good band of a `RANGE` indicator, shaded behind the lines.
pub struct Band<'a> {
    pub name: &'a str,
    pub lower: f64,
    pub upper: f64,
}

const BAND_FILL: &str = "#2e8b57";

const W: f64 = 640.0;
const H: f64 = 280.0;
const L: f64 = 56.0;
const R: f64 = 16.0;
const T: f64 = 16.0;
const B: f64 = 56.0;

/// A line chart over `labels` (periods): one line per series, a legend below, and the good
/// band of a `RANGE` indicator shaded behind them when given.
pub fn line_chart(
    title: &str,
    labels: &[String],
    series: &[Series<'_>],
    band: Option<&Band<'_>>,
) -> String {
    let band = band.filter(|b| b.lower.is_finite() && b.upper.is_finite() && b.lower <= b.upper);
    let all: Vec<f64> = series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied())
        .chain(band.into_iter().flat_map(|b| [b.lower, b.upper]))
        .filter(|v| v.is_finite())
        .collect();
    let (mut lo, mut hi) = all
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    if all.is_empty() {
        (lo, hi) = (0.0, 1.0);
    }
    if (hi - lo).abs() < f64::EPSILON {
        hi = lo + 1.0;
    }
    let pad = (hi - lo) * 0.08;
    // A line chart need not start at zero: the axis frames the data (the labels say where).
    let (lo, hi) = (lo - pad, hi + pad);
    let n = labels.len().max(1);
    let x = |i: usize| {
        if n == 1 {
            L + (W - L - R) / 2.0
        } else {
            L + (W - L - R) * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| T + (H - T - B) * (1.0 - (v - lo) / (hi - lo));
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="c-title c-desc" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="11">
<title id="c-title">{t}</title><desc id="c-desc">{d}</desc>"##,
        t = esc(title),
        d = esc(&series
            .iter()
            .map(|s| s.name.to_string())
            .chain(
                band.map(|b| { format!("{} {}–{}", b.name, fmt_num(b.lower), fmt_num(b.upper)) })
            )
            .collect::<Vec<_>>()
            .join(", ")),
    );
    if let Some(b) = band {
        let (top, bottom) = (y(b.upper), y(b.lower));
        let _ = write!(
            out,
            r#"<g class="range-band"><title>{n} {lo}–{hi}</title><rect x="{L}" y="{top:.1}" width="{w}" height="{h:.1}" fill="{BAND_FILL}" fill-opacity="0.15"/></g>"#,
            n = esc(b.name),
            lo = fmt_num(b.lower),
            hi = fmt_num(b.upper),
            w = W - L - R,
            h = (bottom - top).max(1.0),
        );
    }
    for k in 0..=4 {
        let v = lo + (hi - lo) * k as f64 / 4.0;
        let yy = y(v);
        let _ = write!(
            out,
            r##"<line x1="{L}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}" stroke="#dde3ea"/><text x="{tx}" y="{ty:.1}" text-anchor="end" fill="#44515e">{v}</text>"##,
            x2 = W - R,
            tx = L - 6.0,
            ty = yy + 4.0,
            v = fmt_num(v)
        );
    }
    let step = n.div_ceil(10).max(1);
    for (i, label) in labels.iter().enumerate() {
        if i % step == 0 || i + 1 == n {
            let _ = write!(
                out,
                r##"<text x="{x:.1}" y="{ty}" text-anchor="middle" fill="#44515e">{l}</text>"##,
                x = x(i),
                ty = H - B + 16.0,
                l = esc(label)
            );
        }
    }
    for s in series {
        let dash = if s.dashed {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        if !s.points_only {
            let mut d = String::new();
            let mut pen_down = false;
            for (i, v) in s.values.iter().enumerate() {
                match v {
                    Some(v) if v.is_finite() => {
                        let _ = write!(
                            d,
                            "{}{:.1},{:.1} ",
                            if pen_down { "L" } else { "M" },
                            x(i),
                            y(*v)
                        );
                        pen_down = true;
                    }
                    _ => pen_down = false,
                }
            }
            if !d.is_empty() {
                let _ = write!(
                    out,
                    r#"<path d="{d}" fill="none" stroke="{c}" stroke-width="2.2"{dash}/>"#,
                    c = s.colour
                );
            }
        }
        for (i, v) in s.values.iter().enumerate() {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                let shape = if s.points_only {
                    format!(
                        r#"<rect x="{:.1}" y="{:.1}" width="9" height="9" fill="{c}"/>"#,
                        x(i) - 4.5,
                        y(v) - 4.5,
                        c = s.colour
                    )
                } else {
                    format!(
                        r#"<circle cx="{:.1}" cy="{:.1}" r="3.2" fill="{c}"/>"#,
                        x(i),
                        y(v),
                        c = s.colour
                    )
                };
                let _ = write!(
                    out,
                    r#"<g class="point"><title>{name} {label}: {v}</title>{shape}</g>"#,
                    name = esc(s.name),
                    label = esc(&labels[i]),
                    v = fmt_num(v)
                );
            }
        }
    }
    let mut lx = L;
    if let Some(b) = band {
        let _ = write!(
            out,
            r##"<rect x="{lx}" y="{ly}" width="14" height="10" fill="{BAND_FILL}" fill-opacity="0.3"/><text x="{tx}" y="{ty}" fill="#1f2d3a">{n}</text>"##,
            ly = H - 23.0,
            tx = lx + 18.0,
            ty = H - 15.0,
            n = esc(b.name)
        );
        lx += 24.0 + b.name.chars().count() as f64 * 6.4;
    }
    for s in series {
        let _ = write!(
            out,
            r##"<rect x="{lx}" y="{ly}" width="14" height="4" fill="{c}"/><text x="{tx}" y="{ty}" fill="#1f2d3a">{n}</text>"##,
            ly = H - 20.0,
            c = s.colour,
            tx = lx + 18.0,
            ty = H - 15.0,
            n = esc(s.name)
        );
        lx += 24.0 + s.name.chars().count() as f64 * 6.4;
    }
    out.push_str("</svg>");
    out
}

/// Horizontal bars, one per labelled value.
pub fn bar_chart(title: &str, bars: &[(String, f64)]) -> String {
    let row = 26.0;
    let label_w = 200.0;
    let h = T + row * bars.len().max(1) as f64 + 8.0;
    let max = bars
        .iter()
        .map(|(_, v)| v.abs())
        .fold(0.0_f64, f64::max)
        .max(f64::EPSILON);
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg class="chart bars" viewBox="0 0 {W} {h}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="12"><title>{t}</title>"##,
        t = esc(title)
    );
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = T + row * i as f64;
        let w = (W - label_w - 80.0) * v.abs() / max;
        let _ = write!(
            out,
            r##"<text x="{lx}" y="{ty}" text-anchor="end" fill="#1f2d3a">{l}</text><rect x="{label_w}" y="{y}" width="{w:.1}" height="16" fill="#2f6f9f"/><text x="{vx:.1}" y="{ty}" fill="#1f2d3a">{v}</text>"##,
            lx = label_w - 8.0,
            ty = y + 12.5,
            l = esc(label),
            vx = label_w + w + 6.0,
            v = fmt_num(*v)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(fmt_num(66.4), "66.4");
        assert_eq!(fmt_num(2.0), "2");
        assert_eq!(fmt_num(0.126), "0.13");
        assert_eq!(fmt_num(-0.001), "0");
        assert_eq!(fmt_num(f64::NAN), "–");
    }

    #[test]
    fn a_line_chart_has_a_path_per_series_and_a_point_per_value() {
        let labels: Vec<String> = ["2021", "2022", "2023"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let svg = line_chart(
            "I2.1 <agua>",
            &labels,
            &[
                Series {
                    name: "Valor",
                    values: vec![Some(1.0), None, Some(3.0)],
                    colour: "#000",
                    dashed: false,
                    points_only: false,
                },
                Series {
                    name: "Meta",
                    values: vec![None, None, Some(5.0)],
                    colour: "#f00",
                    dashed: false,
                    points_only: true,
                },
            ],
            None,
        );
        assert!(svg.contains("I2.1 &lt;agua&gt;"));
        assert_eq!(
            svg.matches("<path").count(),
            1,
            "targets are points, not a line"
        );
        assert_eq!(svg.matches(r#"class="point""#).count(), 3);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(!svg.contains(r#"class="range-band""#));
    }

    #[test]
    fn a_range_band_is_shaded_within_the_axis() {
        let labels: Vec<String> = ["2023", "2024"].iter().map(|s| s.to_string()).collect();
        let svg = line_chart(
            "pH",
            &labels,
            &[Series {
                name: "Valor",
                values: vec![Some(7.0), Some(7.2)],
                colour: "#000",
                dashed: false,
                points_only: false,
            }],
            Some(&Band {
                name: "Rango",
                lower: 6.5,
                upper: 8.5,
            }),
        );
        assert_eq!(svg.matches(r#"class="range-band""#).count(), 1);
        assert!(svg.contains("<title>Rango 6.5–8.5</title>"), "{svg}");
        // The axis frames the band too: its upper bound is above the values' range.
        let rect = svg.split(r#"<g class="range-band">"#).nth(1).unwrap();
        let y: f64 = rect
            .split(r#"y=""#)
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(y >= T, "the band starts inside the plot: {y}");
    }
}
