"""Source documents are cited by a short title, not a hash-named file (issue #29 item 7)."""

from sim.scenario.sources import cite, seed_files, source_titles


def test_every_seed_document_has_a_short_title():
    files = seed_files()
    titles = source_titles()
    if files is not None:  # the seeds beside the repository: each has a title, and no title is stale
        assert set(titles) == set(files)
    assert all(title and len(title) < 90 for title in titles.values())


def test_a_citation_reads_as_title_and_number():
    text = cite("event western_withdrawal: 000_4a7c527b705e72c5.txt")
    assert text == "event western_withdrawal: Morocco's active diplomacy in Mali (000)"
    assert cite("an assumption in words") == "an assumption in words"
