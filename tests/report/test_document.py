"""The report page: Markdown rendered by a real renderer, text from scenario files always escaped."""

from sim.report.document import to_html, to_markdown


def test_scenario_text_is_escaped_and_markdown_rendered(tmp_path):
    blocks = [("h1", "what-if <b>bold</b>"), ("p", "<script>alert(1)</script> **strong** and `code`"),
              ("table", [["a", "b"], ["x | y", "<i>z</i>"]])]
    page = to_html(blocks, tmp_path)
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>" not in page
    assert "<strong>strong</strong>" in page and "<code>code</code>" in page and "<table>" in page
    assert "| x / y |" in to_markdown(blocks)
