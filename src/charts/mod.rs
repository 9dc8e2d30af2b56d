//! Pictures of figures: the PNG line chart that follows `!parcours etat` in chat ([`png`]) and
//! the SVG bar charts of the HTML report ([`svg`]). Pure rendering: they take labels and
//! numbers, already in French and already counted, and return bytes or markup; they read no
//! store and pick no words themselves.
//!
//! Both are deterministic (the same figures give the same bytes), and neither needs anything
//! from the machine: the PNG's text is drawn with DejaVu Sans, embedded in the binary
//! (`assets/fonts/`, with its licence), so no system font is looked up.

pub mod png;
pub mod svg;

/// Line and bar colours, in order: the Okabe–Ito palette (told apart with the common colour
/// vision deficiencies), its yellow left last as it is hard to see on white.
pub const PALETTE: [(u8, u8, u8); 8] = [
    (0, 114, 178),
    (230, 159, 0),
    (0, 158, 115),
    (213, 94, 0),
    (204, 121, 167),
    (86, 180, 233),
    (0, 0, 0),
    (240, 228, 66),
];

/// The `n`-th colour of [`PALETTE`], cycling.
pub fn colour(n: usize) -> (u8, u8, u8) {
    PALETTE[n % PALETTE.len()]
}

/// Why a picture could not be drawn (a bug or a resource problem, never the user's input).
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    #[error("encoding the PNG failed: {0}")]
    Encode(#[from] ::png::EncodingError),
}
