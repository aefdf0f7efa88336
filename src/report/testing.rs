//! Test support for documents: a PDF's pages rendered by poppler (`pdftoppm`) as a person sees them and
//! compared with the images in tests/snapshots (`UPDATE_SNAPSHOTS=1` writes them). A page may differ in a
//! few pixels (font hinting between poppler builds), not in its layout. Test builds only.

/// Whether poppler's tools must be here (scripts/test sets WELLCONSOLE_REQUIRE_POPPLER=1) rather than skip.
pub fn poppler_required() -> bool {
    std::env::var("WELLCONSOLE_REQUIRE_POPPLER").is_ok_and(|v| v == "1")
}

/// A page rendered by poppler, as RGB rows: (width, height, pixels).
fn png_rgb(path: &std::path::Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let rgb = match info.color_type {
        png::ColorType::Rgb => bytes.to_vec(),
        png::ColorType::Rgba => bytes.chunks(4).flat_map(|p| [p[0], p[1], p[2]]).collect(),
        png::ColorType::Grayscale => bytes.iter().flat_map(|&g| [g, g, g]).collect(),
        other => panic!("pdftoppm wrote {other:?}"),
    };
    (info.width, info.height, rgb)
}

/// Renders `pdf` at 50 dpi and compares each page with `tests/snapshots/<prefix><n>.png`; at least
/// `min_pages` pages.
pub fn pages_match_snapshots(pdf: &[u8], prefix: &str, min_pages: usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("document.pdf");
    std::fs::write(&path, pdf).unwrap();
    let rendered = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "50"])
        .arg(&path)
        .arg(dir.path().join("page"))
        .status();
    let Ok(status) = rendered else {
        assert!(
            !poppler_required(),
            "pdftoppm is required here (WELLCONSOLE_REQUIRE_POPPLER=1)"
        );
        eprintln!("pdftoppm is not installed: the pages of {prefix}* are not compared");
        return;
    };
    assert!(status.success(), "pdftoppm failed");
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .collect();
    pages.sort();
    assert!(pages.len() >= min_pages, "{} pages", pages.len());
    let snapshots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let update = std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1" || v == "true");
    for (i, page) in pages.iter().enumerate() {
        let want = snapshots.join(format!("{prefix}{}.png", i + 1));
        if update {
            std::fs::copy(page, &want).unwrap();
            continue;
        }
        assert!(
            want.exists(),
            "{} is missing: run with UPDATE_SNAPSHOTS=1",
            want.display()
        );
        let (w0, h0, a) = png_rgb(page);
        let (w1, h1, b) = png_rgb(&want);
        assert_eq!((w0, h0), (w1, h1), "page {} changed size", i + 1);
        let differ = a
            .chunks(3)
            .zip(b.chunks(3))
            .filter(|(p, q)| p.iter().zip(*q).any(|(x, y)| x.abs_diff(*y) > 48))
            .count();
        let share = differ as f64 / f64::from(w0 * h0);
        assert!(
            share < 0.01,
            "page {} differs from {} in {:.2} % of its pixels",
            i + 1,
            want.display(),
            share * 100.0
        );
    }
}
