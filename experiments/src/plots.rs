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
    let groups: [(&str, RGBColor, fn(&VariantResult) -> bool); 4] = [
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

/// A scatter of `series` against bits per weight, each point labelled with its variant.
fn chart<DB: DrawingBackend, Y>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    y_desc: &str,
    y_range: Y,
    series: &[Series],
) -> Result<()>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let (x0, x1) = span(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.0)),
        0.08,
    );
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
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
    for s in series {
        let color = s.color;
        // The label sits beside its point, not on it.
        let point = |(x, y, label): &(f64, f64, String)| {
            EmptyElement::at((*x, *y))
                + Circle::new((0, 0), 4, color.filled())
                + Text::new(
                    label.clone(),
                    (6, -14),
                    ("sans-serif", 11).into_font().color(&color),
                )
        };
        chart
            .draw_series(s.points.iter().map(point))
            .map_err(err)?
            .label(s.name.as_str())
            .legend(move |(x, y)| Circle::new((x + 8, y), 4, color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperMiddle)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 12))
        .draw()
        .map_err(err)?;
    Ok(())
}

fn ppl_kld<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    results: &[VariantResult],
) -> Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let (left, right) = root.split_horizontally(root.dim_in_pixel().0 / 2);
    // Log scales: a broken variant (int2) can be ten decades above the rest.
    let ppl = by_execution(results, |m| m.ppl);
    let (p0, p1) = ppl
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold((f64::INFINITY, 0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    chart(
        &left,
        "WikiText-2 perplexity",
        "PPL (log scale)",
        (p0 / 1.5..p1 * 1.5).log_scale(),
        &ppl,
    )?;
    // The reference has no KLD against itself; the rest span decades.
    let kld = by_execution(results, |m| m.kld_mean.filter(|k| *k > 0.0));
    if !kld.is_empty() {
        let (k0, k1) = kld
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .fold((f64::INFINITY, 0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
        chart(
            &right,
            "Mean KL divergence from f32",
            "KLD (nats, log scale)",
            (k0 / 2.0..k1 * 2.0).log_scale(),
            &kld,
        )?;
    }
    root.present().map_err(err)
}

fn ifeval<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    results: &[VariantResult],
) -> Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let metrics: [(&str, RGBColor, fn(&Metrics) -> Option<f64>); 4] = [
        ("prompt-level strict", BLUE, |m| m.ifeval_prompt_strict),
        ("instruction-level strict", RED, |m| m.ifeval_inst_strict),
        ("prompt-level loose", CYAN, |m| m.ifeval_prompt_loose),
        ("instruction-level loose", MAGENTA, |m| m.ifeval_inst_loose),
    ];
    let series: Vec<Series> = metrics
        .iter()
        .map(|(name, color, f)| Series {
            name: name.to_string(),
            color: *color,
            points: points(results.iter(), &|m: &Metrics| f(m).map(|v| 100.0 * v)),
        })
        .collect();
    let (y0, y1) = span(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.1)),
        0.1,
    );
    chart(
        &root,
        "IFEval accuracy",
        "accuracy (%)",
        y0.max(0.0)..y1.min(100.0),
        &series,
    )?;
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
            Self::PplKld => (1200, 520),
            _ => (800, 520),
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
