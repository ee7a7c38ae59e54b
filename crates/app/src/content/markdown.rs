//! Markdown → sanitised HTML, on read: the stored source stays what the author wrote, and a
//! sanitiser fix applies to every post at once.

use pulldown_cmark::{html, Options, Parser};

/// Renders CommonMark (plus tables and strikethrough) and keeps only ammonia's allow-list of tags
/// and attributes: raw HTML in the source is allowed by markdown but `<script>`, event handlers
/// and `javascript:` links never survive; links get `rel="noopener noreferrer"`.
pub fn render_markdown(source: &str) -> String {
    let parser = Parser::new_ext(
        source,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    );
    let mut unsafe_html = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut unsafe_html, parser);
    ammonia::clean(&unsafe_html)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn markdown_becomes_html() {
        let html = render_markdown("# Title\n\nSome *emphasis* and [a link](https://example.org).");
        assert!(html.contains("<h1>Title</h1>"));
        assert!(html.contains("<em>emphasis</em>"));
        assert!(html.contains("href=\"https://example.org\""));
    }

    #[test]
    fn scripts_handlers_and_javascript_links_are_removed() {
        let html = render_markdown(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[x](javascript:alert(3))\n\n<a href=\"javascript:alert(4)\">y</a>",
        );
        let lower = html.to_lowercase();
        assert!(!lower.contains("<script"), "{html}");
        assert!(!lower.contains("onerror"), "{html}");
        assert!(!lower.contains("javascript:"), "{html}");
    }

    proptest! {
        #[test]
        fn no_input_yields_a_script_tag(prefix in "\\PC{0,40}", suffix in "\\PC{0,40}") {
            let source = format!("{prefix}<script>x</script>{suffix}<SCRIPT src=//e>");
            prop_assert!(!render_markdown(&source).to_lowercase().contains("<script"));
        }
    }
}
