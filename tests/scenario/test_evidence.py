"""Every lever's quote appears verbatim in the seed document it names."""

import pytest

from sim.scenario.catalogue import MAX_QUOTE_WORDS, load_catalogue
from sim.scenario.sources import normalise
from tests.conftest import SEEDS

CATALOGUE = load_catalogue()
EVIDENCE = [(lever.key, e) for lever in CATALOGUE.levers for e in lever.evidence]


def test_the_recorded_hashes_are_the_documents_the_quotes_were_verified_against(seeds):
    """sim/data/sources.yaml records each document's sha256, which `sim levers` cites when the
    documents are absent: it must be the document this test reads (re-record after re-verifying)."""
    import hashlib

    from sim.scenario.sources import verified_hashes

    assert verified_hashes() == {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
                                 for path in SEEDS.iterdir()}


@pytest.fixture(scope="module")
def seeds():
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS}; the quote check needs shared/seeds/ beside the repo")
    return {path.name: normalise(path.read_text(encoding="utf-8")) for path in SEEDS.iterdir()}


@pytest.mark.parametrize(("lever", "evidence"), EVIDENCE, ids=[f"{k}:{i}" for i, (k, _) in enumerate(EVIDENCE)])
def test_quote_is_verbatim_in_its_source(seeds, lever, evidence):
    assert evidence.source in seeds, f"{lever}: unknown source file {evidence.source}"
    assert normalise(evidence.quote) in seeds[evidence.source], f"{lever}: quote not found in {evidence.source}"
    assert len(evidence.quote.split()) <= MAX_QUOTE_WORDS


def test_every_lever_has_evidence_and_the_catalogue_is_broad():
    assert len(CATALOGUE.levers) >= 18
    assert all(lever.evidence for lever in CATALOGUE.levers)


def test_calibration_target_sentences_are_verbatim_in_their_sources(seeds):
    from sim.analysis.calibration import load_targets
    from tests.conftest import SCENARIOS

    for path in sorted((SCENARIOS / "targets").glob("*.yaml")):
        for target in load_targets(path):
            assert target.source in seeds, f"{path.name}:{target.id}: unknown source {target.source}"
            assert normalise(target.sentence) in seeds[target.source], f"{path.name}:{target.id}: sentence not found"
            assert len(target.sentence.split()) <= MAX_QUOTE_WORDS


def test_observed_choices_are_verbatim_in_their_sources(seeds):
    from sim.analysis.backtest import load_observations
    from tests.conftest import SCENARIOS

    for path in sorted((SCENARIOS / "observations").glob("*.yaml")):
        for observation in load_observations(path):
            assert observation.source in seeds, f"{path.name}:{observation.id}: unknown source {observation.source}"
            assert normalise(observation.sentence) in seeds[observation.source], f"{observation.id}: not found"
            assert len(observation.sentence.split()) <= MAX_QUOTE_WORDS


def test_institution_quotes_are_verbatim_in_their_sources(seeds):
    from sim.scenario.institutions import load_institutions

    for institution in load_institutions().institutions:
        for evidence in institution.evidence:
            assert evidence.source in seeds, f"{institution.key}: unknown source {evidence.source}"
            assert normalise(evidence.quote) in seeds[evidence.source], f"{institution.key}: quote not found"
            assert len(evidence.quote.split()) <= MAX_QUOTE_WORDS
