//! The timeline chart of a campaign's money: daily amounts as bars, the running total as a
//! line, annotations (posts, milestones, fediverse boosts, spikes) as numbered markers — an SVG drawn here on
//! the server, no script; the page beside it has the same numbers as a table for screen
//! readers. And spike detection: a day is a spike when its amount stands out from the days
//! before it (see [`spikes`]).

use shelfraiser_formats::html::escape;

/// Days before a day that its spike test looks at.
pub const WINDOW: usize = 14;
/// Fewest earlier days a spike test needs.
pub const MIN_HISTORY: usize = 3;
/// How many scaled median absolute deviations above the median a spike is.
pub const K: f64 = 3.0;

fn median(v: &mut [i64]) -> f64 {
    v.sort_unstable();
    let n = v.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] as f64 + v[n / 2] as f64) / 2.0
    }
}

/// The indexes of the spikes of a daily series: day `i` (with at least [`MIN_HISTORY`]
/// days before it) is one when its value exceeds the median of the previous [`WINDOW`]
/// days by more than [`K`] times their scaled median absolute deviation (1.4826 · MAD, a
/// robust standard deviation) — and, so that a quiet campaign's first £5 is no spike, by
/// more than half the median and at least `floor` (e.g. one major unit) when the earlier
/// days hardly vary.
pub fn spikes(series: &[i64], floor: i64) -> Vec<usize> {
    let mut out = Vec::new();
    for i in MIN_HISTORY..series.len() {
        let from = i.saturating_sub(WINDOW);
        let mut prev: Vec<i64> = series[from..i].to_vec();
        let med = median(&mut prev);
        let mut dev: Vec<i64> = series[from..i]
            .iter()
            .map(|v| (*v as f64 - med).abs().round() as i64)
            .collect();
        let mad = median(&mut dev) * 1.4826;
        let scale = mad.max(med / 2.0).max(floor as f64);
        let v = series[i] as f64;
        if v > med + K * scale {
            out.push(i);
        }
    }
    out
}

/// One day of the chart.
pub struct Day {
    /// `2025-03-01`.
    pub label: String,
    pub amount_minor: i64,
    pub cumulative_minor: i64,
}

/// A numbered marker above a day.
pub struct Mark {
    pub day: usize,
    /// Its number in the list beside the chart.
    pub number: usize,
    /// `spike`, `post`, `milestone` or `boost` (its colour).
    pub kind: &'static str,
    pub text: String,
}

pub const WIDTH: usize = 720;
pub const HEIGHT: usize = 260;
const LEFT: usize = 8;
const TOP: usize = 28;
const BOTTOM: usize = 24;

/// The chart as an SVG document. `title` names it for assistive technology (the table
/// beside it has the numbers); `first` and `last` label the axis.
pub fn svg(title: &str, days: &[Day], marks: &[Mark]) -> String {
    let n = days.len().max(1);
    let plot_w = (WIDTH - 2 * LEFT) as f64;
    let plot_h = (HEIGHT - TOP - BOTTOM) as f64;
    let step = plot_w / n as f64;
    let max_day = days
        .iter()
        .map(|d| d.amount_minor)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let max_cum = days
        .iter()
        .map(|d| d.cumulative_minor)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let base = (TOP as f64) + plot_h;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-labelledby=\"timeline-title\">\
         <title id=\"timeline-title\">{}</title>\
         <rect x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"#fffdf8\"/>\
         <line x1=\"{LEFT}\" y1=\"{base:.1}\" x2=\"{}\" y2=\"{base:.1}\" stroke=\"#9ca3af\"/>",
        escape(title),
        WIDTH - LEFT
    );
    for (i, d) in days.iter().enumerate() {
        if d.amount_minor <= 0 {
            continue;
        }
        let h = (d.amount_minor as f64 / max_day) * plot_h * 0.9;
        let x = LEFT as f64 + i as f64 * step + step * 0.15;
        s.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"#1f7a4d\"/>",
            base - h,
            (step * 0.7).max(1.0)
        ));
    }
    let points: Vec<String> = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let x = LEFT as f64 + i as f64 * step + step / 2.0;
            let y = base - (d.cumulative_minor.max(0) as f64 / max_cum) * plot_h;
            format!("{x:.1},{y:.1}")
        })
        .collect();
    if !points.is_empty() {
        s.push_str(&format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#b45309\" stroke-width=\"2\"/>",
            points.join(" ")
        ));
    }
    for m in marks {
        let x = LEFT as f64 + m.day as f64 * step + step / 2.0;
        let colour = match m.kind {
            "spike" => "#b91c1c",
            "milestone" => "#b45309",
            "boost" => "#6d28d9",
            _ => "#1d4ed8",
        };
        s.push_str(&format!(
            "<g><title>{}</title><line x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{base:.1}\" stroke=\"{colour}\" stroke-dasharray=\"3 3\"/>\
             <circle cx=\"{x:.1}\" cy=\"14\" r=\"9\" fill=\"{colour}\"/>\
             <text x=\"{x:.1}\" y=\"18\" font-size=\"11\" font-family=\"DejaVu Sans,Verdana,sans-serif\" text-anchor=\"middle\" fill=\"#ffffff\">{}</text></g>",
            escape(&m.text),
            TOP - 4,
            m.number
        ));
    }
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        s.push_str(&format!(
            "<g font-size=\"11\" font-family=\"DejaVu Sans,Verdana,sans-serif\" fill=\"#374151\">\
             <text x=\"{LEFT}\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text></g>",
            HEIGHT - 6,
            escape(&first.label),
            WIDTH - LEFT,
            HEIGHT - 6,
            escape(&last.label)
        ));
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_or_noisy_series_has_no_spikes() {
        assert!(spikes(&[0; 30], 100).is_empty());
        assert!(spikes(&[1000; 30], 100).is_empty());
        let noisy: Vec<i64> = (0..40).map(|i| 1000 + (i * 37 % 7) * 100).collect();
        assert!(spikes(&noisy, 100).is_empty(), "{noisy:?}");
    }

    #[test]
    fn a_day_far_above_the_ones_before_is_a_spike() {
        let mut s = vec![1000, 1200, 900, 1100, 1000, 1300, 800, 1000, 1100, 900];
        s.push(64_000);
        s.extend([1200, 1000, 1100]);
        assert_eq!(spikes(&s, 100), vec![10]);
        // After a quiet start, a real day stands out; a few pounds do not.
        let quiet = [0, 0, 0, 0, 0, 500, 0, 0, 0, 25_000];
        assert_eq!(spikes(&quiet, 1000), vec![9]);
        // Not before there is history to compare with.
        assert!(spikes(&[0, 0, 50_000], 100).is_empty());
        // A campaign that grows steadily has no spikes from growth alone.
        let growing: Vec<i64> = (0..30).map(|i| 1000 + i * 150).collect();
        assert!(spikes(&growing, 100).is_empty(), "{growing:?}");
    }

    #[test]
    fn the_chart_is_an_accessible_escaped_svg() {
        let days = vec![
            Day {
                label: "2025-03-01".into(),
                amount_minor: 1000,
                cumulative_minor: 1000,
            },
            Day {
                label: "2025-03-02".into(),
                amount_minor: 0,
                cumulative_minor: 1000,
            },
        ];
        let marks = vec![Mark {
            day: 0,
            number: 1,
            kind: "spike",
            text: "Boost by <@ada>".into(),
        }];
        let s = svg("Money <by day>", &days, &marks);
        assert!(s.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(s.contains("role=\"img\" aria-labelledby=\"timeline-title\""));
        assert!(s.contains("Money &lt;by day&gt;"));
        assert!(s.contains("Boost by &lt;@ada&gt;"));
        assert!(s.contains("<polyline"));
        assert_eq!(s.matches("<rect").count(), 2, "background and one bar");
        assert!(svg("empty", &[], &[]).ends_with("</svg>"));
    }
}
