//! Plain-text tables that fit a terminal: column widths, and cells cut with `…` when a row would
//! wrap.
//!
//! Widths come from the widest cell of each column; when the row is wider than the terminal, the
//! widest column gives up a character at a time (never below its header's first 8 characters or 3)
//! until it fits, so short columns (verdicts, counts) stay whole and long ones (details, messages)
//! are cut.

/// The width of `s` in characters (a character a column: lastgood prints no wide characters of its
/// own).
pub fn width(s: &str) -> usize {
    s.chars().count()
}

/// The terminal's width: `COLUMNS` when set (as shells and tests do), else the size of the terminal
/// on stdout, else none (a pipe or a file gets whole lines).
pub fn terminal_width() -> Option<usize> {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        return Some(n);
    }
    terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| w.0 as usize)
}

/// Column widths for `header` and `rows`, fitted into `max` characters with `gap` between columns.
pub fn fit(header: &[&str], rows: &[Vec<String>], max: Option<usize>, gap: usize) -> Vec<usize> {
    let all: Vec<usize> = (0..header.len()).collect();
    fit_prefer(header, rows, max, gap, &all)
}

/// Like [`fit`], but only the columns in `flexible` (free text: details, reasons, metadata) give
/// way; the others (ids, times, counts: what people copy) are cut only if that is not enough.
pub fn fit_prefer(
    header: &[&str],
    rows: &[Vec<String>],
    max: Option<usize>,
    gap: usize,
    flexible: &[usize],
) -> Vec<usize> {
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(widths.len()) {
            widths[i] = widths[i].max(width(c));
        }
    }
    let Some(max) = max else {
        return widths;
    };
    let floor: Vec<usize> = header
        .iter()
        .zip(&widths)
        .map(|(h, w)| (*w).min(width(h).clamp(3, 8)))
        .collect();
    let total = |w: &[usize]| w.iter().sum::<usize>() + gap * w.len().saturating_sub(1);
    let mut excess = total(&widths).saturating_sub(max);
    for pass in [true, false] {
        while excess > 0 {
            // The widest column that can still give (the leftmost of equals) gives a character.
            let Some(i) = (0..widths.len())
                .filter(|&i| widths[i] > floor[i] && (!pass || flexible.contains(&i)))
                .max_by_key(|&i| (widths[i], std::cmp::Reverse(i)))
            else {
                break;
            };
            widths[i] -= 1;
            excess -= 1;
        }
    }
    widths
}

/// `s` in at most `w` characters: cut with `…` when longer.
pub fn cut(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(w - 1).collect();
    out.push('…');
    out
}

/// Appends one row: cells cut and padded to `widths`, two spaces apart, no trailing blanks; as
/// Markdown, `| a | b |` with nothing cut.
pub fn line(out: &mut String, cells: &[String], widths: &[usize], markdown: bool) {
    if markdown {
        out.push('|');
        for (c, w) in cells.iter().zip(widths) {
            out.push(' ');
            out.push_str(c);
            out.push_str(&" ".repeat(w.saturating_sub(width(c))));
            out.push_str(" |");
        }
        out.push('\n');
        return;
    }
    let n = cells.len().min(widths.len());
    for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
        let c = cut(c, *w);
        out.push_str(&c);
        if i + 1 < n {
            out.push_str(&" ".repeat(w - width(&c) + 2));
        }
    }
    let trimmed = out.trim_end_matches(' ').len();
    out.truncate(trimmed);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_columns_give_way_first() {
        let rows = vec![vec!["FAIL".to_string(), "ks".to_string(), "x".repeat(100)]];
        let w = fit(&["VERDICT", "GATE", "DETAIL"], &rows, Some(40), 2);
        assert_eq!(w.iter().sum::<usize>() + 4, 40);
        assert_eq!(&w[..2], &[7, 4]);
        let mut s = String::new();
        line(&mut s, &rows[0], &w, false);
        assert_eq!(width(s.trim_end()), 40);
        assert!(s.trim_end().ends_with('…'));
    }

    #[test]
    fn ids_stay_whole_while_free_text_can_give() {
        let rows = vec![vec![
            "20261201T234624702Z-74557861".to_string(),
            "a reason that goes on and on and on".to_string(),
        ]];
        let w = fit_prefer(&["VERSION", "REASON"], &rows, Some(50), 2, &[1]);
        assert_eq!(w, vec![28, 20]);
        let w = fit_prefer(&["VERSION", "REASON"], &rows, Some(20), 2, &[1]);
        assert!(w[0] < 28 && w[1] == 6, "{w:?}");
    }

    #[test]
    fn without_a_width_nothing_is_cut() {
        let rows = vec![vec!["a".repeat(300)]];
        assert_eq!(fit(&["A"], &rows, None, 2), vec![300]);
    }
}
