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

#[cfg(test)]
mod tests {
    use super::*;

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
