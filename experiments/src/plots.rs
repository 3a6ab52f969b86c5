//! The study's figures, each as PNG and SVG: PPL and KLD, IFEval, and decode speed against
//! bits per weight. Text needs a TrueType font, read at run time (no system font stack is
//! linked); without one the plots are skipped and the report says why.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::record::{Metrics, Status, VariantResult};
use crate::variant::Execution;

/// Where the usual distributions put DejaVu Sans or Liberation Sans.
const FONTS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
];
const FONT_ENV: &str = "GEMMA_PLOT_FONT";

fn load_font() -> Result<()> {
    let env = std::env::var(FONT_ENV).ok();
    let path = env
        .iter()
        .map(String::as_str)
        .chain(FONTS.iter().copied())
        .find(|p| Path::new(p).is_file());
    let path = path.ok_or_else(|| {
        anyhow!("no TrueType font found (set {FONT_ENV}, or install fonts-dejavu-core)")
    })?;
    let bytes = std::fs::read(path).with_context(|| format!("reading {path}"))?;
    // plotters keeps fonts for the whole process.
    register_font(
        "sans-serif",
        FontStyle::Normal,
        Box::leak(bytes.into_boxed_slice()),
    )
    .map_err(|_| anyhow!("{path}: not a usable font"))
}

/// A named set of labelled points `(bits per weight, value, label)`.
struct Series {
    name: String,
    color: RGBColor,
    points: Vec<(f64, f64, String)>,
}

/// One series per execution kind (and embedding choice), of `metric` where measured.
fn by_execution(
    results: &[VariantResult],
    metric: impl Fn(&Metrics) -> Option<f64>,
) -> Vec<Series> {
    type Group = (&'static str, RGBColor, fn(&VariantResult) -> bool);
    let groups: [Group; 4] = [
        ("float", BLACK, |r| r.variant.execution == Execution::Float),
        ("simulated, embedding f32", BLUE, |r| {
            r.variant.execution == Execution::Simulated && !r.variant.embedding
        }),
        ("simulated, embedding quantized", CYAN, |r| {
            r.variant.execution == Execution::Simulated && r.variant.embedding
        }),
        ("packed kernels", RED, |r| {
            r.variant.execution == Execution::Packed
        }),
    ];
    groups
        .iter()
        .map(|(name, color, member)| Series {
            name: name.to_string(),
            color: *color,
            points: points(results.iter().filter(|r| member(r)), &metric),
        })
        .filter(|s| !s.points.is_empty())
        .collect()
}

fn points<'a>(
    results: impl Iterator<Item = &'a VariantResult>,
    metric: &impl Fn(&Metrics) -> Option<f64>,
) -> Vec<(f64, f64, String)> {
    results
        .filter(|r| r.status == Status::Ok)
        .filter_map(|r| {
            Some((
                r.metrics.bits_per_weight?,
                metric(&r.metrics)?,
                r.variant.name.clone(),
            ))
        })
        .filter(|(x, y, _)| x.is_finite() && y.is_finite())
        .collect()
}

fn span(values: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let margin = ((hi - lo) * pad).max(hi.abs() * 0.05).max(1e-9);
    (lo - margin, hi + margin)
}

/// The largest value the axis shows: values more than `factor` times the next smaller one are
/// off scale (int2's perplexity of 1e11 beside 17), drawn at the axis edge with their value.
fn scale_top(values: &[f64], factor: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    while sorted.len() > 1 && sorted[sorted.len() - 1] > factor * sorted[sorted.len() - 2].abs() {
        sorted.pop();
    }
    sorted.last().copied().unwrap_or(1.0)
}

/// Axis numbers that fit the label area: 1e11 rather than 100000000000.0.
fn compact(v: f64) -> String {
    if v != 0.0 && !(1e-3..1e5).contains(&v.abs()) {
        format!("{v:.0e}")
    } else {
        format!("{v:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing: {e:?}")
}

/// A pixel rectangle `[x0, x1) × [y0, y1)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
}

impl Rect {
    fn around((x, y): (i32, i32), r: i32) -> Rect {
        Rect {
            x0: x - r,
            y0: y - r,
            x1: x + r + 1,
            y1: y + r + 1,
        }
    }

    fn overlap(&self, o: &Rect) -> i64 {
        let w = (self.x1.min(o.x1) - self.x0.max(o.x0)).max(0) as i64;
        let h = (self.y1.min(o.y1) - self.y0.max(o.y0)).max(0) as i64;
        w * h
    }

    fn inside(&self, o: &Rect) -> bool {
        self.x0 >= o.x0 && self.y0 >= o.y0 && self.x1 <= o.x1 && self.y1 <= o.y1
    }

    fn contains(&self, (x, y): (i32, i32)) -> bool {
        x >= self.x0 && x < self.x1 && y >= self.y0 && y < self.y1
    }

    /// Whether the segment `a`–`b` passes through the rectangle (sampled every few pixels).
    fn crossed_by(&self, (a, b): ((i32, i32), (i32, i32))) -> bool {
        let steps = ((b.0 - a.0).abs().max((b.1 - a.1).abs()) / 2).max(1);
        (0..=steps).any(|i| {
            let t = i as f64 / steps as f64;
            let at = |p: i32, q: i32| p + ((q - p) as f64 * t).round() as i32;
            self.contains((at(a.0, b.0), at(a.1, b.1)))
        })
    }

    /// The point of the rectangle nearest to `p`: where a leader line from `p` ends.
    fn nearest(&self, (x, y): (i32, i32)) -> (i32, i32) {
        (x.clamp(self.x0, self.x1 - 1), y.clamp(self.y0, self.y1 - 1))
    }
}

/// Where a label goes: its top-left corner relative to its point, and whether it is far enough
/// to need a leader line back to the point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placement {
    pub dx: i32,
    pub dy: i32,
    pub leader: bool,
}

const MARKER: i32 = 5;

/// Places one label per point, greedily, each at the first spot (close ones first, then farther
/// out with a leader line) that stays inside `bounds` and touches no other label, point or
/// leader line. A label with no free spot takes the one with the least overlap.
pub fn place_labels(points: &[(i32, i32)], sizes: &[(u32, u32)], bounds: Rect) -> Vec<Placement> {
    // What a leader line crossing a label costs, in pixels of overlap.
    const CROSSING: i64 = 400;
    let markers: Vec<Rect> = points.iter().map(|&p| Rect::around(p, MARKER)).collect();
    let mut placed: Vec<Rect> = Vec::new();
    let mut leaders: Vec<((i32, i32), (i32, i32))> = Vec::new();
    let mut out = Vec::new();
    for (&(px, py), &(w, h)) in points.iter().zip(sizes) {
        let (w, h) = (w as i32, h as i32);
        let mut best: Option<(i64, Placement, Rect)> = None;
        'search: for (ring, r) in [8, 26, 48, 74, 104].into_iter().enumerate() {
            // Sixteen directions, starting to the right and above.
            for k in 0..16 {
                let angle = -std::f64::consts::PI / 8.0 * k as f64;
                let (cx, cy) = (
                    px + (r as f64 * angle.cos()).round() as i32,
                    py + (r as f64 * angle.sin()).round() as i32,
                );
                // The label's near edge faces the point.
                let dx = if angle.cos() > 0.3 {
                    cx - px
                } else if angle.cos() < -0.3 {
                    cx - px - w
                } else {
                    cx - px - w / 2
                };
                let dy = if angle.sin() > 0.3 {
                    cy - py
                } else if angle.sin() < -0.3 {
                    cy - py - h
                } else {
                    cy - py - h / 2
                };
                let rect = Rect {
                    x0: px + dx,
                    y0: py + dy,
                    x1: px + dx + w,
                    y1: py + dy + h,
                };
                if !rect.inside(&bounds) {
                    continue;
                }
                let leader = ((px, py), rect.nearest((px, py)));
                let crossings = leaders.iter().filter(|l| rect.crossed_by(**l)).count()
                    + if ring > 0 {
                        placed.iter().filter(|o| o.crossed_by(leader)).count()
                    } else {
                        0
                    };
                let cost: i64 = placed.iter().map(|o| o.overlap(&rect)).sum::<i64>()
                    + markers.iter().map(|m| m.overlap(&rect)).sum::<i64>()
                    + CROSSING * crossings as i64;
                let placement = Placement {
                    dx,
                    dy,
                    leader: ring > 0,
                };
                if best.is_none_or(|(c, _, _)| cost < c) {
                    best = Some((cost, placement, rect));
                }
                if cost == 0 {
                    break 'search;
                }
            }
        }
        // Only a label larger than the plot fits nowhere: it goes right of its point.
        let (_, placement, rect) = best.unwrap_or_else(|| {
            let p = Placement {
                dx: MARKER + 3,
                dy: -h / 2,
                leader: false,
            };
            (
                0,
                p,
                Rect {
                    x0: px + p.dx,
                    y0: py + p.dy,
                    x1: px + p.dx + w,
                    y1: py + p.dy + h,
                },
            )
        });
        if placement.leader {
            leaders.push(((px, py), rect.nearest((px, py))));
        }
        placed.push(rect);
        out.push(placement);
    }
    out
}

/// A scatter of `series` against bits per weight, each point labelled with its variant; values
/// above `top` are drawn at the top edge as a triangle with their value. The legend sits below
/// the chart, so it covers nothing.
fn chart<DB: DrawingBackend, Y>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    y_desc: &str,
    y_range: Y,
    top: f64,
    series: &[Series],
) -> Result<()>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let label_font = ("sans-serif", 12);
    let (plot_area, legend_area) = area.split_vertically(area.dim_in_pixel().1 as i32 - 28);
    let (x0, x1) = span(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.0)),
        0.08,
    );
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .margin_right(24)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, y_range)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("bits per weight")
        .y_desc(y_desc)
        .y_label_formatter(&|v| compact(*v))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(err)?;

    // Every point in pixels (off-scale ones at the edge), then every label placed at once.
    let mut anchors = Vec::new();
    let mut labels = Vec::new();
    for s in series {
        for (x, y, name) in &s.points {
            let shown = y.min(top);
            let text = if *y > top {
                format!("{name}: {y:.2e}, off scale")
            } else {
                name.clone()
            };
            anchors.push((
                chart.backend_coord(&(*x, shown)),
                (*x, shown),
                *y > top,
                s.color,
            ));
            labels.push(text);
        }
    }
    let font = label_font.into_font();
    let sizes = labels
        .iter()
        .map(|t| plot_area.estimate_text_size(t, &font.clone().into()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let bounds = Rect {
        x0: xs.start,
        y0: ys.start,
        x1: xs.end,
        y1: ys.end,
    };
    let pixels: Vec<(i32, i32)> = anchors.iter().map(|a| a.0).collect();
    let placements = place_labels(&pixels, &sizes, bounds);
    for (((_, at, off_scale, color), text), (p, &(w, h))) in anchors
        .iter()
        .zip(&labels)
        .zip(placements.iter().zip(&sizes))
    {
        let area = chart.plotting_area();
        if *off_scale {
            area.draw(&(EmptyElement::at(*at) + TriangleMarker::new((0, 0), 7, color.filled())))
        } else {
            area.draw(&(EmptyElement::at(*at) + Circle::new((0, 0), 4, color.filled())))
        }
        .map_err(err)?;
        if p.leader {
            let label = Rect {
                x0: p.dx,
                y0: p.dy,
                x1: p.dx + w as i32,
                y1: p.dy + h as i32,
            };
            let to = label.nearest((0, 0));
            let line = PathElement::new(vec![(0, 0), to], color.mix(0.6).stroke_width(1));
            area.draw(&(EmptyElement::at(*at) + line)).map_err(err)?;
        }
        let text = Text::new(
            text.clone(),
            (p.dx, p.dy),
            label_font.into_font().color(color),
        );
        area.draw(&(EmptyElement::at(*at) + text)).map_err(err)?;
    }
    legend(&legend_area, series)
}
/// The series' names in one row below the chart.
fn legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, series: &[Series]) -> Result<()> {
    let font = ("sans-serif", 12).into_font();
    let widths = series
        .iter()
        .map(|s| {
            area.estimate_text_size(&s.name, &font.clone().into())
                .map(|(w, _)| w as i32)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    let total: i32 = widths.iter().map(|w| w + 40).sum();
    let mut x = ((area.dim_in_pixel().0 as i32 - total) / 2).max(4);
    for (s, w) in series.iter().zip(widths) {
        area.draw(&Circle::new((x + 6, 12), 4, s.color.filled()))
            .map_err(err)?;
        area.draw(&Text::new(
            s.name.clone(),
            (x + 16, 5),
            font.clone().color(&BLACK),
        ))
        .map_err(err)?;
        x += w + 40;
    }
    Ok(())
}

/// A chart whose y axis is logarithmic when the values span a decade or more (the working
/// variants' KLD spans four), else linear; values off scale (see [`scale_top`], e.g. a broken
/// int2) are drawn at the top edge with their value instead of squashing the rest.
fn scaled_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    y_desc: &str,
    series: &[Series],
) -> Result<()> {
    let values: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .collect();
    let top = scale_top(&values, 100.0);
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    if top / lo >= 10.0 {
        let (y0, y1) = (lo / 2.0, top * 2.0);
        let desc = format!("{y_desc} (log scale)");
        chart(area, title, &desc, (y0..y1).log_scale(), y1, series)
    } else {
        let (y0, y1) = span(values.iter().copied().filter(|v| *v <= top), 0.1);
        chart(area, title, y_desc, y0..y1, y1, series)
    }
}

fn ppl_kld<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    results: &[VariantResult],
) -> Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let (left, right) = root.split_horizontally(root.dim_in_pixel().0 / 2);
    let ppl = by_execution(results, |m| m.ppl);
    scaled_chart(&left, "WikiText-2 perplexity", "PPL", &ppl)?;
    // The reference has no KLD against itself.
    let kld = by_execution(results, |m| m.kld_mean.filter(|k| *k > 0.0));
    if !kld.is_empty() {
        scaled_chart(&right, "Mean KL divergence from f32", "KLD (nats)", &kld)?;
    }
    root.present().map_err(err)
}

/// IFEval as a dot plot: one row per variant (by bits per weight), one marker per metric, so
/// no point needs a label.
fn ifeval<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    results: &[VariantResult],
) -> Result<()> {
    root.fill(&WHITE).map_err(err)?;
    type Metric = (&'static str, RGBColor, fn(&Metrics) -> Option<f64>);
    let metrics: [Metric; 4] = [
        ("prompt-level strict", BLUE, |m| m.ifeval_prompt_strict),
        ("instruction-level strict", RED, |m| m.ifeval_inst_strict),
        ("prompt-level loose", CYAN, |m| m.ifeval_prompt_loose),
        ("instruction-level loose", MAGENTA, |m| m.ifeval_inst_loose),
    ];
    let mut rows: Vec<&VariantResult> = results
        .iter()
        .filter(|r| r.status == Status::Ok && r.metrics.ifeval_prompt_strict.is_some())
        .collect();
    rows.sort_by(|a, b| {
        let bits = |r: &VariantResult| r.metrics.bits_per_weight.unwrap_or(f64::INFINITY);
        bits(b)
            .total_cmp(&bits(a))
            .then_with(|| a.variant.name.cmp(&b.variant.name))
    });
    let names: Vec<String> = rows
        .iter()
        .map(|r| match r.metrics.bits_per_weight {
            Some(b) => format!("{} ({b:.1} b/w)", r.variant.name),
            None => r.variant.name.clone(),
        })
        .collect();
    let values: Vec<f64> = rows
        .iter()
        .flat_map(|r| metrics.iter().filter_map(|(_, _, f)| f(&r.metrics)))
        .map(|v| 100.0 * v)
        .collect();
    let (_, x1) = span(values.iter().copied(), 0.1);
    let (plot_area, legend_area) = root.split_vertically(root.dim_in_pixel().1 as i32 - 28);
    let n = rows.len() as i32;
    let mut chart = ChartBuilder::on(&plot_area)
        .caption("IFEval accuracy", ("sans-serif", 20))
        .margin(12)
        .margin_right(24)
        .x_label_area_size(40)
        .y_label_area_size(190)
        .build_cartesian_2d(0.0..x1.min(100.0), (0..n).into_segmented())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("accuracy (%)")
        .y_labels(rows.len())
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => names.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(err)?;
    for (k, (_, color, f)) in metrics.iter().enumerate() {
        // The four metrics of a row sit 4 px apart, so equal values stay visible.
        let dy = 4 * k as i32 - 6;
        chart
            .draw_series(rows.iter().enumerate().filter_map(|(i, r)| {
                let v = 100.0 * f(&r.metrics)?;
                let at = (v, SegmentValue::CenterOf(i as i32));
                Some(EmptyElement::at(at) + Circle::new((0, dy), 4, color.filled()))
            }))
            .map_err(err)?;
    }
    let series: Vec<Series> = metrics
        .iter()
        .map(|(name, color, _)| Series {
            name: name.to_string(),
            color: *color,
            points: vec![],
        })
        .collect();
    legend(&legend_area, &series)?;
    root.present().map_err(err)
}

fn decode<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    results: &[VariantResult],
) -> Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let series = by_execution(results, |m| m.decode_tok_s);
    let (_, y1) = span(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.1)),
        0.1,
    );
    chart(
        &root,
        "Decode speed (batch 1)",
        "tokens / s",
        0.0..y1,
        y1,
        &series,
    )?;
    root.present().map_err(err)
}

#[derive(Clone, Copy)]
enum Figure {
    PplKld,
    Ifeval,
    Decode,
}

impl Figure {
    const ALL: [Figure; 3] = [Figure::PplKld, Figure::Ifeval, Figure::Decode];

    fn name(self) -> &'static str {
        match self {
            Self::PplKld => "ppl_kld_vs_bits",
            Self::Ifeval => "ifeval_vs_bits",
            Self::Decode => "decode_vs_bits",
        }
    }

    fn size(self) -> (u32, u32) {
        match self {
            Self::PplKld => (1400, 600),
            Self::Ifeval => (900, 640),
            Self::Decode => (900, 560),
        }
    }

    fn has_data(self, m: &Metrics) -> bool {
        match self {
            Self::PplKld => m.ppl.is_some(),
            Self::Ifeval => m.ifeval_prompt_strict.is_some(),
            Self::Decode => m.decode_tok_s.is_some(),
        }
    }

    fn draw<DB: DrawingBackend>(
        self,
        root: DrawingArea<DB, Shift>,
        results: &[VariantResult],
    ) -> Result<()> {
        match self {
            Self::PplKld => ppl_kld(root, results),
            Self::Ifeval => ifeval(root, results),
            Self::Decode => decode(root, results),
        }
    }
}

/// Draws every figure whose numbers exist into `dir`; returns the files written.
pub fn write_all(results: &[VariantResult], dir: &Path) -> Result<Vec<PathBuf>> {
    load_font()?;
    let mut written = Vec::new();
    for fig in Figure::ALL {
        if !results
            .iter()
            .any(|r| r.status == Status::Ok && fig.has_data(&r.metrics))
        {
            continue;
        }
        let (png, svg) = (
            dir.join(format!("{}.png", fig.name())),
            dir.join(format!("{}.svg", fig.name())),
        );
        fig.draw(
            BitMapBackend::new(&png, fig.size()).into_drawing_area(),
            results,
        )
        .with_context(|| format!("plotting {}", png.display()))?;
        fig.draw(
            SVGBackend::new(&svg, fig.size()).into_drawing_area(),
            results,
        )
        .with_context(|| format!("plotting {}", svg.display()))?;
        written.extend([png, svg]);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rects(points: &[(i32, i32)], sizes: &[(u32, u32)], placed: &[Placement]) -> Vec<Rect> {
        points
            .iter()
            .zip(sizes)
            .zip(placed)
            .map(|((&(x, y), &(w, h)), p)| Rect {
                x0: x + p.dx,
                y0: y + p.dy,
                x1: x + p.dx + w as i32,
                y1: y + p.dy + h as i32,
            })
            .collect()
    }

    #[test]
    fn crowded_labels_touch_nothing_and_stay_inside() {
        // Like the study: variants at nearly the same spot, and points in the corners.
        let bounds = Rect {
            x0: 70,
            y0: 40,
            x1: 660,
            y1: 480,
        };
        let points = [
            (400, 300),
            (402, 301),
            (405, 298),
            (399, 304),
            (410, 300),
            (72, 42),
            (658, 478),
            (655, 45),
            (75, 470),
        ];
        let sizes = [(130, 14); 9];
        let placed = place_labels(&points, &sizes, bounds);
        let boxes = rects(&points, &sizes, &placed);
        for (i, b) in boxes.iter().enumerate() {
            assert!(b.inside(&bounds), "label {i} {b:?} leaves the plot");
            for (j, o) in boxes.iter().enumerate().skip(i + 1) {
                assert_eq!(b.overlap(o), 0, "labels {i} and {j} overlap");
            }
            for (j, &p) in points.iter().enumerate() {
                assert_eq!(
                    b.overlap(&Rect::around(p, MARKER)),
                    0,
                    "label {i} covers point {j}"
                );
            }
        }
        // The far ones are tied back to their point, and no leader line crosses a label.
        assert!(placed.iter().any(|p| p.leader));
        for (i, &pt) in points.iter().enumerate().filter(|(i, _)| placed[*i].leader) {
            let leader = (pt, boxes[i].nearest(pt));
            for (j, b) in boxes.iter().enumerate().filter(|(j, _)| *j != i) {
                assert!(
                    !b.crossed_by(leader),
                    "the leader of label {i} crosses label {j}"
                );
            }
        }
    }

    #[test]
    fn off_scale_values_leave_the_axis_to_the_rest() {
        assert_eq!(scale_top(&[17.0, 16.9, 28.0, 1.2e11], 100.0), 28.0);
        assert_eq!(scale_top(&[0.0006, 0.73, 21.4], 100.0), 21.4);
        assert_eq!(scale_top(&[5.0], 100.0), 5.0);
    }
}
