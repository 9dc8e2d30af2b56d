//! The PNG line chart: one line per series over labelled x positions (a parcours' steps over
//! its days). plotters draws the geometry (grid, axes, lines, markers) into an RGB buffer;
//! the text is drawn afterwards by [`text`] with the embedded DejaVu Sans through ab_glyph
//! (plotters' own ab_glyph text path places glyphs without their side bearings, which makes
//! small labels uneven); the `png` crate encodes. Counts only: no person's name is drawn.

use std::sync::OnceLock;

use ab_glyph::FontRef;
use plotters::prelude::*;

use super::{colour, ChartError};
use crate::core::text::ellipsis;

/// The picture's size in pixels: readable inline in a chat client, small enough to send.
pub const WIDTH: u32 = 900;
pub const HEIGHT: u32 = 450;
/// The plot's margins: title and axis description above, day labels below, counts left,
/// the legend right.
const TOP: u32 = 70;
const BOTTOM: u32 = 56;
const LEFT: u32 = 64;
const RIGHT: u32 = 270;
/// Legend labels are cut to fit their column.
const LEGEND_CHARS: usize = 28;
/// Points get a marker while there are this few of them (more would clutter the lines).
const MARKERS_UP_TO: usize = 31;
/// At most this many day labels under the axis.
const X_LABELS: usize = 8;
const TEXT: (u8, u8, u8) = (17, 17, 17);
const MUTED: (u8, u8, u8) = (90, 90, 90);
const GRID: RGBColor = RGBColor(228, 228, 228);
const AXIS: RGBColor = RGBColor(120, 120, 120);

/// DejaVu Sans (licence in `assets/fonts/`), so that drawing text needs no system font.
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// What to draw.
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    pub title: &'a str,
    pub x_desc: &'a str,
    pub y_desc: &'a str,
    /// One label per x position (dates, for a parcours).
    pub x_labels: &'a [String],
    /// Each series: its legend label and one value per x position.
    pub series: &'a [(String, Vec<usize>)],
}

/// An encoded picture and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Png {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

fn font() -> Result<&'static FontRef<'static>, ChartError> {
    static FONT_REF: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT_REF
        .get_or_init(|| FontRef::try_from_slice(FONT).ok())
        .as_ref()
        .ok_or_else(|| ChartError::Draw("the embedded font does not load".into()))
}

fn draw_error(err: impl std::fmt::Display) -> ChartError {
    ChartError::Draw(err.to_string())
}

fn to_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// At most about `most` positions among `0..count`, at a regular step from the first, the last
/// added when it is not too close to the one before.
fn spread(count: usize, most: usize) -> Vec<usize> {
    if count <= most {
        return (0..count).collect();
    }
    let last = count - 1;
    let step = last.div_ceil(most.saturating_sub(1).max(1));
    let mut out: Vec<usize> = (0..count).step_by(step).collect();
    if out.last().is_some_and(|l| last - l >= step.div_ceil(2)) {
        out.push(last);
    }
    out
}

/// Text to draw once the geometry is done.
struct Label {
    text: String,
    x: i32,
    baseline: i32,
    size: f32,
    colour: (u8, u8, u8),
    anchor: text::Anchor,
}

/// Draw the chart and encode it as an 8-bit RGB PNG of [`WIDTH`] × [`HEIGHT`].
pub fn line_chart(chart: &Lines<'_>) -> Result<Png, ChartError> {
    let font = font()?;
    let (width, height) = (WIDTH, HEIGHT);
    let mut rgb = vec![0u8; (width * height * 3) as usize];
    let positions = chart.x_labels.len().max(1);
    let last_x = to_i32(positions - 1).max(1);
    let highest = chart
        .series
        .iter()
        .flat_map(|(_, values)| values.iter().copied())
        .max()
        .unwrap_or(0);
    // One step of headroom, and at least 0..2 so that an all-zero chart has a scale.
    let top = to_i32(highest).max(1) + 1;
    let y_step = usize::try_from(top).unwrap_or(1).div_ceil(8).max(1);
    let mut labels = vec![
        Label {
            text: chart.title.to_owned(),
            x: to_i32(width as usize / 2),
            baseline: 30,
            size: 22.0,
            colour: TEXT,
            anchor: text::Anchor::Middle,
        },
        Label {
            text: chart.y_desc.to_owned(),
            x: to_i32(LEFT as usize) - 40,
            baseline: to_i32(TOP as usize) - 14,
            size: 14.0,
            colour: MUTED,
            anchor: text::Anchor::Start,
        },
    ];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        let mut ctx = ChartBuilder::on(&root)
            .margin_top(TOP)
            .margin_bottom(BOTTOM)
            .margin_left(LEFT)
            .margin_right(RIGHT)
            .build_cartesian_2d(0i32..last_x, 0i32..top)
            .map_err(draw_error)?;
        for y in (0..=top).step_by(y_step) {
            ctx.draw_series(std::iter::once(PathElement::new(
                vec![(0, y), (last_x, y)],
                GRID.stroke_width(1),
            )))
            .map_err(draw_error)?;
            let (px, py) = ctx.backend_coord(&(0, y));
            labels.push(Label {
                text: y.to_string(),
                x: px - 10,
                baseline: py + 5,
                size: 14.0,
                colour: TEXT,
                anchor: text::Anchor::End,
            });
        }
        for x in spread(chart.x_labels.len(), X_LABELS) {
            let x = to_i32(x);
            ctx.draw_series(std::iter::once(PathElement::new(
                vec![(x, 0), (x, top)],
                GRID.stroke_width(1),
            )))
            .map_err(draw_error)?;
            let (px, py) = ctx.backend_coord(&(x, 0));
            labels.push(Label {
                text: chart.x_labels[usize::try_from(x).unwrap_or(0)].clone(),
                x: px,
                baseline: py + 22,
                size: 14.0,
                colour: TEXT,
                anchor: text::Anchor::Middle,
            });
        }
        ctx.draw_series([
            PathElement::new(vec![(0, 0), (last_x, 0)], AXIS.stroke_width(2)),
            PathElement::new(vec![(0, 0), (0, top)], AXIS.stroke_width(2)),
        ])
        .map_err(draw_error)?;
        let (px, py) = ctx.backend_coord(&(last_x, 0));
        labels.push(Label {
            text: chart.x_desc.to_owned(),
            x: px,
            baseline: py + 44,
            size: 14.0,
            colour: MUTED,
            anchor: text::Anchor::End,
        });
        let legend_x = to_i32((width - RIGHT) as usize) + 24;
        for (n, (label, values)) in chart.series.iter().enumerate() {
            let (r, g, b) = colour(n);
            let line = RGBColor(r, g, b);
            let points: Vec<(i32, i32)> = values
                .iter()
                .enumerate()
                .map(|(x, v)| (to_i32(x), to_i32(*v)))
                .collect();
            ctx.draw_series(LineSeries::new(points.clone(), line.stroke_width(3)))
                .map_err(draw_error)?;
            if points.len() <= MARKERS_UP_TO {
                ctx.draw_series(points.iter().map(|p| Circle::new(*p, 4, line.filled())))
                    .map_err(draw_error)?;
            }
            let y = to_i32(TOP as usize) + 10 + to_i32(n) * 30;
            root.draw(&PathElement::new(
                vec![(legend_x, y), (legend_x + 28, y)],
                line.stroke_width(4),
            ))
            .map_err(draw_error)?;
            labels.push(Label {
                text: ellipsis(label, LEGEND_CHARS),
                x: legend_x + 36,
                baseline: y + 5,
                size: 14.0,
                colour: TEXT,
                anchor: text::Anchor::Start,
            });
        }
        root.present().map_err(draw_error)?;
    }
    let mut canvas = text::Canvas {
        rgb: &mut rgb,
        width,
        height,
    };
    for label in &labels {
        canvas.draw(
            font,
            &label.text,
            (label.x, label.baseline),
            label.size,
            label.colour,
            label.anchor,
        );
    }
    let mut bytes = Vec::new();
    {
        let mut encoder = ::png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(::png::ColorType::Rgb);
        encoder.set_depth(::png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&rgb)?;
        writer.finish()?;
    }
    Ok(Png {
        bytes,
        width,
        height,
    })
}

/// Text on an RGB buffer with ab_glyph: each glyph placed at its pen position plus its own
/// bounds, kerned, its coverage blended over what is below.
mod text {
    use ab_glyph::{Font as _, FontRef, PxScale, ScaleFont as _};

    /// Which end of the text its x coordinate names.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) enum Anchor {
        Start,
        Middle,
        End,
    }

    pub(super) struct Canvas<'a> {
        pub rgb: &'a mut [u8],
        pub width: u32,
        pub height: u32,
    }

    /// The advance width of `text` at `size` pixels.
    pub(super) fn width(font: &FontRef<'_>, text: &str, size: f32) -> f32 {
        let scaled = font.as_scaled(PxScale::from(size));
        let mut total = 0.0;
        let mut previous = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = previous {
                total += scaled.kern(p, id);
            }
            total += scaled.h_advance(id);
            previous = Some(id);
        }
        total
    }

    impl Canvas<'_> {
        fn blend(&mut self, x: i32, y: i32, coverage: f32, colour: (u8, u8, u8)) {
            let (Ok(x), Ok(y)) = (u32::try_from(x), u32::try_from(y)) else {
                return;
            };
            if x >= self.width || y >= self.height {
                return;
            }
            let at = ((y * self.width + x) * 3) as usize;
            let alpha = coverage.clamp(0.0, 1.0);
            for (channel, ink) in self.rgb[at..at + 3]
                .iter_mut()
                .zip([colour.0, colour.1, colour.2])
            {
                let mixed = f32::from(*channel) * (1.0 - alpha) + f32::from(ink) * alpha;
                *channel = mixed.round().clamp(0.0, 255.0) as u8;
            }
        }

        /// Draw `text` with its baseline at `y`, anchored at `x`.
        pub(super) fn draw(
            &mut self,
            font: &FontRef<'_>,
            text: &str,
            (x, y): (i32, i32),
            size: f32,
            colour: (u8, u8, u8),
            anchor: Anchor,
        ) {
            let scale = PxScale::from(size);
            let scaled = font.as_scaled(scale);
            let advance = width(font, text, size);
            let mut caret = match anchor {
                Anchor::Start => x as f32,
                Anchor::Middle => x as f32 - advance / 2.0,
                Anchor::End => x as f32 - advance,
            };
            let mut previous = None;
            for c in text.chars() {
                let id = scaled.glyph_id(c);
                if let Some(p) = previous {
                    caret += scaled.kern(p, id);
                }
                let glyph = id.with_scale_and_position(scale, ab_glyph::point(caret, y as f32));
                if let Some(outline) = font.outline_glyph(glyph) {
                    let bounds = outline.px_bounds();
                    let (left, top) = (bounds.min.x as i32, bounds.min.y as i32);
                    let mut pixels = Vec::new();
                    outline.draw(|gx, gy, coverage| {
                        pixels.push((gx, gy, coverage));
                    });
                    for (gx, gy, coverage) in pixels {
                        let (gx, gy) = (
                            i32::try_from(gx).unwrap_or(0),
                            i32::try_from(gy).unwrap_or(0),
                        );
                        self.blend(left + gx, top + gy, coverage, colour);
                    }
                }
                caret += scaled.h_advance(id);
                previous = Some(id);
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Decode a PNG: its size and its pixels as RGB triples.
    pub(crate) fn decode(bytes: &[u8]) -> (u32, u32, Vec<[u8; 3]>) {
        let decoder = ::png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("a PNG header");
        let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
        let info = reader.next_frame(&mut buf).expect("a frame");
        assert_eq!(info.color_type, ::png::ColorType::Rgb);
        assert_eq!(info.bit_depth, ::png::BitDepth::Eight);
        let pixels = buf[..info.buffer_size()]
            .chunks_exact(3)
            .map(|p| [p[0], p[1], p[2]])
            .collect();
        (info.width, info.height, pixels)
    }

    fn sample() -> (Vec<String>, Vec<(String, Vec<usize>)>) {
        let days = ["02/03", "03/03", "04/03", "05/03"]
            .map(String::from)
            .to_vec();
        let series = vec![
            ("Étape 1 · Observer les usages".to_owned(), vec![1, 2, 2, 3]),
            ("Étape 2 · Rappel par SMS".to_owned(), vec![0, 0, 1, 1]),
        ];
        (days, series)
    }

    #[test]
    fn the_chart_is_a_png_of_its_size_with_each_line_in_its_colour_and_text() {
        let (days, series) = sample();
        let png = line_chart(&Lines {
            title: "Premiers pas à distance",
            x_desc: "Jour",
            y_desc: "Personnes",
            x_labels: &days,
            series: &series,
        })
        .expect("drawn");
        assert_eq!((png.width, png.height), (WIDTH, HEIGHT));
        let (width, height, pixels) = decode(&png.bytes);
        assert_eq!((width, height), (WIDTH, HEIGHT));
        assert_eq!(pixels.len(), (WIDTH * HEIGHT) as usize);
        let white = pixels.iter().filter(|p| **p == [255, 255, 255]).count();
        assert!(
            white < pixels.len() * 99 / 100,
            "the chart is blank: {white} white pixels of {}",
            pixels.len()
        );
        assert!(white > pixels.len() / 2, "mostly background: {white}");
        for n in 0..series.len() {
            let (r, g, b) = colour(n);
            let count = pixels.iter().filter(|p| **p == [r, g, b]).count();
            assert!(count > 200, "series {n}: {count} pixels of its colour");
        }
        // The title band holds dark pixels: the embedded font drew the title.
        let title_band = &pixels[..(WIDTH * 30) as usize];
        let dark = title_band
            .iter()
            .filter(|p| p.iter().all(|c| *c < 100))
            .count();
        assert!(dark > 100, "no title text drawn ({dark} dark pixels)");
        assert!(png.bytes.len() < 200_000, "{} bytes", png.bytes.len());
    }

    #[test]
    fn day_labels_are_spread_at_a_regular_step() {
        assert_eq!(spread(3, 8), [0, 1, 2]);
        assert_eq!(spread(12, 8), [0, 2, 4, 6, 8, 10, 11]);
        assert_eq!(spread(15, 8), [0, 2, 4, 6, 8, 10, 12, 14]);
        assert_eq!(spread(30, 8), [0, 5, 10, 15, 20, 25, 29]);
        assert_eq!(spread(366, 8).len(), 8);
        assert_eq!(spread(0, 8), Vec::<usize>::new());
    }

    #[test]
    fn the_same_figures_give_the_same_bytes() {
        let (days, series) = sample();
        let chart = Lines {
            title: "Premiers pas à distance",
            x_desc: "Jour",
            y_desc: "Personnes",
            x_labels: &days,
            series: &series,
        };
        assert_eq!(
            line_chart(&chart).expect("drawn"),
            line_chart(&chart).expect("drawn")
        );
    }

    #[test]
    fn a_single_day_and_all_zero_counts_still_draw() {
        let days = vec!["02/03".to_owned()];
        let series = vec![("Étape 1".to_owned(), vec![0])];
        let png = line_chart(&Lines {
            title: "Un jour",
            x_desc: "Jour",
            y_desc: "Personnes",
            x_labels: &days,
            series: &series,
        })
        .expect("drawn");
        let (width, height, _) = decode(&png.bytes);
        assert_eq!((width, height), (WIDTH, HEIGHT));
    }
}
