//! The `path` primitive of symbol files: a subset of SVG path data (absolute `M L H V Q C Z`), flattened to
//! points once at load so drawing costs no curve maths per frame.
//!
//! Only absolute commands: symbol files are written by hand and read by people, and relative commands
//! make a shape unreadable when one segment is edited.

use super::def::Pt;

/// Line segments per Bézier curve: smooth at symbol sizes, cheap to draw.
const CURVE_SEGMENTS: usize = 12;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct PathError {
    /// Byte offset into the path text.
    pub offset: usize,
    pub message: String,
}

/// A flattened path: its points and whether it was closed with `Z`.
#[derive(Debug, Clone, PartialEq)]
pub struct Flat {
    pub points: Vec<Pt>,
    pub closed: bool,
}

enum Tok {
    Cmd(char),
    Num(f32),
}

fn tokens(d: &str) -> Result<Vec<(usize, Tok)>, PathError> {
    let mut out = Vec::new();
    let b = d.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        if c.is_ascii_whitespace() || c == ',' {
            i += 1;
        } else if c.is_ascii_alphabetic() {
            if !"MLHVQCZ".contains(c) {
                let message = if "mlhvqcz".contains(c) {
                    format!("'{c}': use absolute commands (upper case) in symbol paths")
                } else {
                    format!("'{c}' is not a path command (M, L, H, V, Q, C, Z)")
                };
                return Err(PathError { offset: i, message });
            }
            out.push((i, Tok::Cmd(c)));
            i += 1;
        } else {
            let start = i;
            i += 1;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.' || b[i] == b'e') {
                i += 1;
            }
            let text = &d[start..i];
            let n: f32 = text.parse().map_err(|_| PathError {
                offset: start,
                message: format!("'{text}' is not a number"),
            })?;
            out.push((start, Tok::Num(n)));
        }
    }
    Ok(out)
}

/// Parses and flattens `d`.
pub fn flatten(d: &str) -> Result<Flat, PathError> {
    let toks = tokens(d)?;
    let mut points: Vec<Pt> = Vec::new();
    let mut closed = false;
    let mut i = 0;
    let mut cur = Pt::default();
    let mut cmd: Option<(usize, char)> = None;
    while i < toks.len() {
        let (at, c) = match &toks[i] {
            (at, Tok::Cmd(c)) => {
                i += 1;
                (*at, *c)
            }
            // Numbers after a command repeat it (SVG), except after M, where they are lines.
            (at, Tok::Num(_)) => match cmd {
                Some((_, 'M')) => (*at, 'L'),
                Some((_, 'Z')) | None => {
                    return Err(PathError {
                        offset: *at,
                        message: "a path starts with M x y".to_owned(),
                    });
                }
                Some((_, c)) => (*at, c),
            },
        };
        if points.is_empty() && c != 'M' {
            return Err(PathError {
                offset: at,
                message: "a path starts with M x y".to_owned(),
            });
        }
        if closed {
            return Err(PathError {
                offset: at,
                message: "nothing may follow Z (one outline per path; use another part)".to_owned(),
            });
        }
        cmd = Some((at, c));
        let need = match c {
            'M' | 'L' => 2,
            'H' | 'V' => 1,
            'Q' => 4,
            'C' => 6,
            _ => 0,
        };
        let mut n = [0f32; 6];
        for (k, slot) in n.iter_mut().enumerate().take(need) {
            match toks.get(i + k) {
                Some((_, Tok::Num(v))) => *slot = *v,
                Some((o, Tok::Cmd(_))) => {
                    return Err(PathError {
                        offset: *o,
                        message: format!("{c} needs {need} numbers"),
                    });
                }
                None => {
                    return Err(PathError {
                        offset: d.len(),
                        message: format!("{c} needs {need} numbers"),
                    });
                }
            }
        }
        i += need;
        match c {
            'M' => {
                if !points.is_empty() {
                    return Err(PathError {
                        offset: at,
                        message: "one outline per path: a second M starts another part".to_owned(),
                    });
                }
                cur = Pt::new(n[0], n[1]);
                points.push(cur);
            }
            'L' => {
                cur = Pt::new(n[0], n[1]);
                points.push(cur);
            }
            'H' => {
                cur = Pt::new(n[0], cur.y);
                points.push(cur);
            }
            'V' => {
                cur = Pt::new(cur.x, n[0]);
                points.push(cur);
            }
            'Q' => {
                let (p0, p1, p2) = (cur, Pt::new(n[0], n[1]), Pt::new(n[2], n[3]));
                for s in 1..=CURVE_SEGMENTS {
                    let t = s as f32 / CURVE_SEGMENTS as f32;
                    let u = 1.0 - t;
                    points.push(p0.scale(u * u) + p1.scale(2.0 * u * t) + p2.scale(t * t));
                }
                cur = p2;
            }
            'C' => {
                let (p0, p1, p2, p3) = (cur, Pt::new(n[0], n[1]), Pt::new(n[2], n[3]), Pt::new(n[4], n[5]));
                for s in 1..=CURVE_SEGMENTS {
                    let t = s as f32 / CURVE_SEGMENTS as f32;
                    let u = 1.0 - t;
                    points.push(
                        p0.scale(u * u * u)
                            + p1.scale(3.0 * u * u * t)
                            + p2.scale(3.0 * u * t * t)
                            + p3.scale(t * t * t),
                    );
                }
                cur = p3;
            }
            _ => closed = true,
        }
    }
    if points.len() < 2 {
        return Err(PathError {
            offset: 0,
            message: "a path needs at least two points".to_owned(),
        });
    }
    Ok(Flat { points, closed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_closing() {
        let f = flatten("M 0 0 L 10 0 V 5 H 0 Z").unwrap();
        assert!(f.closed);
        assert_eq!(
            f.points,
            vec![
                Pt::new(0.0, 0.0),
                Pt::new(10.0, 0.0),
                Pt::new(10.0, 5.0),
                Pt::new(0.0, 5.0)
            ]
        );
        // numbers after M continue as lines
        assert_eq!(flatten("M0,0 5,5 10,0").unwrap().points.len(), 3);
    }

    #[test]
    fn curves_end_on_their_end_points() {
        let f = flatten("M 0 0 Q 5 10 10 0 C 12 -5 18 -5 20 0").unwrap();
        assert_eq!(f.points.len(), 1 + 2 * CURVE_SEGMENTS);
        assert_eq!(f.points[CURVE_SEGMENTS], Pt::new(10.0, 0.0));
        assert_eq!(*f.points.last().unwrap(), Pt::new(20.0, 0.0));
        // the quadratic's midpoint is halfway to the control point
        assert_eq!(f.points[CURVE_SEGMENTS / 2], Pt::new(5.0, 5.0));
    }

    #[test]
    fn errors_point_at_the_offending_character() {
        let cases = [
            ("M 0 0 l 5 5", 6, "use absolute commands"),
            ("M 0 0 X 5", 6, "not a path command"),
            ("L 5 5", 0, "starts with M"),
            ("M 0 0 L 5", 9, "L needs 2 numbers"),
            ("M 0 0 L 5 Z", 10, "L needs 2 numbers"),
            ("M 0 0 L 5 5 Z L 1 1", 14, "nothing may follow Z"),
            ("M 0 0 L 5 5 M 1 1 L 2 2", 12, "second M"),
            ("M 0 0 L 5 x", 10, "not a path command"),
            ("M 0 0 L 5 1.2.3", 10, "not a number"),
            ("M 0 0", 0, "at least two points"),
        ];
        for (d, offset, msg) in cases {
            let e = flatten(d).unwrap_err();
            assert_eq!(e.offset, offset, "{d}: {e}");
            assert!(e.message.contains(msg), "{d}: {e}");
        }
    }
}
