//! Charts of the annual report, drawn here as SVG (no script, no outside
//! font: the page's own font renders the labels).

/// `&`, `<`, `>` and quotes escaped for XML text and attributes.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A horizontal bar chart: one bar per `(label, value)`, longest value full width.
pub fn bar_chart_svg(title: &str, bars: &[(String, f64)]) -> String {
    const WIDTH: f64 = 640.0;
    const LABEL: f64 = 230.0;
    const ROW: f64 = 28.0;
    const TOP: f64 = 34.0;
    let max = bars.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
    let height = TOP + ROW * bars.len() as f64 + 10.0;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{t}\">\
         <text x=\"0\" y=\"20\" class=\"chart-title\" font-size=\"16\" font-weight=\"bold\">{t}</text>",
        t = escape(title)
    );
    for (i, (label, value)) in bars.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let length = if max > 0.0 { (WIDTH - LABEL - 70.0) * value / max } else { 0.0 };
        let shown = if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value:.1}") };
        out.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" font-size=\"13\" class=\"bar-label\">{label}</text>\
             <rect x=\"{LABEL}\" y=\"{y}\" width=\"{length:.1}\" height=\"18\" fill=\"#b91c1c\" class=\"bar\"><title>{label}：{shown}</title></rect>\
             <text x=\"{vx:.1}\" y=\"{ty}\" font-size=\"13\" class=\"bar-value\">{shown}</text>",
            lx = LABEL - 8.0,
            ty = y + 14.0,
            vx = LABEL + length + 6.0,
            label = escape(label),
        ));
    }
    out.push_str("</svg>");
    out
}

/// One series of a trend chart: its name, colour and a value per period.
pub type Series<'a> = (&'a str, &'a str, Vec<f64>);

/// A trend by period: for each period (`labels`) a group of vertical bars,
/// one per series, tallest value full height, each a link when `links` has
/// one for that period; a legend of the series above.
pub fn trend_chart_svg(title: &str, labels: &[String], series: &[Series<'_>], links: &[String]) -> String {
    const HEIGHT: f64 = 220.0;
    const TOP: f64 = 56.0;
    const LEFT: f64 = 8.0;
    const BAR: f64 = 12.0;
    let group = BAR * series.len().max(1) as f64 + 14.0;
    let width = (LEFT * 2.0 + group * labels.len() as f64).max(320.0);
    let max = series.iter().flat_map(|(_, _, v)| v.iter().copied()).fold(0.0_f64, f64::max);
    let bottom = TOP + HEIGHT;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart trend\" viewBox=\"0 0 {width} {h}\" role=\"img\" aria-label=\"{t}\">\
         <text x=\"0\" y=\"20\" class=\"chart-title\" font-size=\"16\" font-weight=\"bold\">{t}</text>",
        h = bottom + 30.0,
        t = escape(title)
    );
    let mut x = 0.0;
    for (name, colour, _) in series {
        out.push_str(&format!(
            "<rect x=\"{x}\" y=\"30\" width=\"12\" height=\"12\" fill=\"{colour}\"/>\
             <text x=\"{tx}\" y=\"41\" font-size=\"13\">{name}</text>",
            tx = x + 16.0,
            colour = escape(colour),
            name = escape(name)
        ));
        x += 24.0 + 14.0 * name.chars().count() as f64;
    }
    out.push_str(&format!(
        "<line x1=\"0\" y1=\"{bottom}\" x2=\"{width}\" y2=\"{bottom}\" stroke=\"#999\" stroke-width=\"1\"/>"
    ));
    for (i, label) in labels.iter().enumerate() {
        let gx = LEFT + group * i as f64;
        let link = links.get(i).filter(|l| !l.is_empty());
        if let Some(l) = link {
            out.push_str(&format!("<a href=\"{}\">", escape(l)));
        }
        for (k, (name, colour, values)) in series.iter().enumerate() {
            let v = values.get(i).copied().unwrap_or(0.0);
            let h = if max > 0.0 { HEIGHT * v / max } else { 0.0 };
            let shown = if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.1}") };
            out.push_str(&format!(
                "<rect x=\"{bx:.1}\" y=\"{by:.1}\" width=\"{BAR}\" height=\"{h:.1}\" fill=\"{c}\" class=\"bar\">\
                 <title>{l} {n}：{shown}</title></rect>",
                bx = gx + BAR * k as f64,
                by = bottom - h,
                c = escape(colour),
                l = escape(label),
                n = escape(name),
            ));
        }
        if link.is_some() {
            out.push_str("</a>");
        }
        out.push_str(&format!(
            "<text x=\"{lx:.1}\" y=\"{ly}\" font-size=\"11\" text-anchor=\"middle\" class=\"bar-label\">{l}</text>",
            lx = gx + BAR * series.len() as f64 / 2.0,
            ly = bottom + 16.0,
            l = escape(label)
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trend_bars_are_drawn_to_scale_each_period_a_link() {
        let labels = vec!["2026-01".to_owned(), "2026-02".to_owned()];
        let series = [("立案", "#1d4ed8", vec![4.0, 2.0]), ("办结", "#15803d", vec![1.0, 0.0])];
        let links = vec!["/console/cases?from=2026-01-01&to=2026-01-31".to_owned(), String::new()];
        let svg = trend_chart_svg("按月 <趋势>", &labels, &series, &links);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let heights: Vec<f64> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("bar"))
            .map(|n| n.attribute("height").unwrap().parse().unwrap())
            .collect();
        assert_eq!(heights, vec![220.0, 55.0, 110.0, 0.0]);
        let hrefs: Vec<&str> = doc.descendants().filter_map(|n| n.attribute("href")).collect();
        assert_eq!(hrefs, vec!["/console/cases?from=2026-01-01&to=2026-01-31"]);
        assert!(svg.contains("按月 &lt;趋势&gt;"));
    }

    #[test]
    fn bars_are_drawn_to_scale_and_labels_escaped() {
        let svg = bar_chart_svg("处罚 <种类>", &[("罚款".into(), 10.0), ("警告".into(), 5.0)]);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let widths: Vec<f64> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("bar"))
            .map(|n| n.attribute("width").unwrap().parse().unwrap())
            .collect();
        assert_eq!(widths.len(), 2);
        assert!((widths[0] - 2.0 * widths[1]).abs() < 0.2, "{widths:?}");
        assert!(svg.contains("处罚 &lt;种类&gt;"));
    }
}
