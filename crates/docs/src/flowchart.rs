//! The flowchart (执法流程图) of a procedure, drawn as SVG from the same
//! definition the engine enforces: the main line down the middle, optional
//! stages dashed, the other ways out on the right, steps that skip stages
//! routed on the left.

use askama::Template;
use std::collections::HashMap;
use zhifa_domain::case::procedure::{Procedure, Recording};

struct Box_ {
    id: String,
    name: String,
    note: &'static str,
    x: i32,
    y: i32,
    w: i32,
    h: i32,
    fill: &'static str,
    stroke: &'static str,
    dashed: bool,
}

struct Edge {
    path: String,
    label: String,
    label_text: String,
    label_x: i32,
    label_y: i32,
}

impl Edge {
    /// Across from the side of a box at `from` to `x`, along to the height
    /// of the box at `to`, and across to it: its name shown on hover only.
    fn elbow(label: String, (fx, fy): (i32, i32), x: i32, (tx, ty): (i32, i32)) -> Self {
        let (y1, y2) = (fy + H / 2, ty + H / 2);
        let path = format!("M{fx},{y1} L{x},{y1} L{x},{y2} L{tx},{y2}");
        Edge { path, label, label_text: String::new(), label_x: 0, label_y: 0 }
    }
}

#[derive(Template)]
#[template(path = "flowchart.svg", escape = "html")]
struct Chart<'a> {
    name: &'a str,
    width: i32,
    height: i32,
    boxes: Vec<Box_>,
    edges: Vec<Edge>,
}

const TOP: i32 = 44;
const ROW: i32 = 72;
const MAIN_X: i32 = 170;
const EXIT_X: i32 = 470;
const W: i32 = 200;
const H: i32 = 40;

/// The SVG of `procedure`.
pub fn svg(procedure: &Procedure) -> Result<String, crate::documents::DocumentError> {
    let mut boxes = Vec::new();
    let mut place: HashMap<&str, (i32, i32, bool)> = HashMap::new();
    let main: Vec<_> = procedure.stages.iter().filter(|s| !s.exit).collect();
    for (i, s) in main.iter().enumerate() {
        let y = TOP + i32::try_from(i).unwrap_or(0) * ROW;
        place.insert(&s.id, (MAIN_X, y, false));
    }
    // Each way out beside the first stage that leads to it, below any before it.
    let mut exit_rows: Vec<i32> = Vec::new();
    for s in procedure.stages.iter().filter(|s| s.exit) {
        let source_y = procedure
            .transitions
            .iter()
            .filter(|t| t.to.as_deref() == Some(s.id.as_str()))
            .flat_map(|t| t.from.iter())
            .filter_map(|f| place.get(f.as_str()).filter(|p| !p.2).map(|p| p.1))
            .min()
            .unwrap_or(TOP);
        let mut y = source_y;
        while exit_rows.contains(&y) {
            y += ROW;
        }
        exit_rows.push(y);
        place.insert(&s.id, (EXIT_X, y, true));
    }
    for s in &procedure.stages {
        let Some(&(x, y, _)) = place.get(s.id.as_str()) else { continue };
        boxes.push(Box_ {
            id: s.id.clone(),
            name: s.name.clone(),
            note: match s.recording {
                Recording::Mandatory => "应当全程音像记录",
                _ => "",
            },
            x,
            y,
            w: W,
            h: H,
            fill: if s.exit { "#f4f4f4" } else { "#fff" },
            stroke: if s.terminal { "2.5" } else { "1.2" },
            dashed: s.optional,
        });
    }

    let mut edges = Vec::new();
    let mut seen = Vec::new();
    let (mut left, mut right) = (0, 0);
    let rows =
        i32::try_from(main.len()).unwrap_or(0).max(exit_rows.iter().map(|y| (y - TOP) / ROW + 1).max().unwrap_or(0));
    let height = TOP + rows * ROW + 30;
    for t in &procedure.transitions {
        let Some(to) = t.to.as_deref() else { continue };
        for from in &t.from {
            if seen.contains(&(from.as_str(), to)) {
                continue;
            }
            seen.push((from.as_str(), to));
            let (Some(&(fx, fy, f_exit)), Some(&(tx, ty, t_exit))) = (place.get(from.as_str()), place.get(to)) else {
                continue;
            };
            let label = t.name.clone();
            let edge = if !f_exit && !t_exit && ty == fy + ROW {
                // The next stage down.
                Edge {
                    path: format!("M{},{} L{},{}", fx + W / 2, fy + H, tx + W / 2, ty),
                    label_text: label.clone(),
                    label,
                    label_x: fx + W / 2 + 6,
                    label_y: fy + H + (ROW - H) / 2 + 4,
                }
            } else if !f_exit && !t_exit {
                // A skip (or a way back) on the left.
                left += 1;
                Edge::elbow(label, (fx, fy), MAIN_X - 14 * left, (tx, ty))
            } else if !f_exit {
                // Out to the right.
                Edge::elbow(label, (fx + W, fy), fx + W + 30, (tx, ty))
            } else {
                // From a way out back to the main line, round the right.
                right += 1;
                Edge::elbow(label, (fx + W, fy), EXIT_X + W + 12 * right, (tx + W, ty))
            };
            edges.push(edge);
        }
    }
    let width = EXIT_X + W + 12 * right + 30;
    Chart { name: &procedure.name, width, height, boxes, edges }
        .render()
        .map_err(|e| crate::documents::DocumentError::Render(e.to_string()))
}
