"""report.html renders in a real browser: headless Chromium screenshots it and the page is not blank.

Skipped with a message when no Chromium is installed (`.ci/run` installs Debian's `chromium`).
"""

import shutil
import subprocess

import numpy as np
import pytest

from sim.cli.dispatch import main
from tests.conftest import SCENARIOS

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(BROWSER is None, reason="chromium not installed (apt-get install chromium); .ci/run installs it")
def test_report_html_renders_with_the_answer_and_its_charts(tmp_path):
    whatif = tmp_path / "early.yaml"
    whatif.write_text("extends: ecowas_early_lift\nname: early_q\nhorizon: 18\nquestion:\n"
                      "  text: Does lifting at once help ECOWAS in Bamako?\n"
                      "  outcomes: [relation.mali.ecowas]\n  window: 2022-03..2022-09\n"
                      "  threshold: relation.mali.ecowas < 0.1\n")
    baseline = tmp_path / "base.yaml"
    baseline.write_text("extends: baseline\nhorizon: 18\n")
    out = tmp_path / "cmp"
    assert main(["compare", str(baseline), str(whatif), "--replicates", "12", "--out", str(out)]) == 0
    html = (out / "report.html").read_text()
    assert "The answer" in html and "mean over 2022-03 to 2022-09" in html and "data:image/png;base64" in html
    shot = tmp_path / "report.png"
    subprocess.run([BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1000,1600", f"--screenshot={shot}", (out / "report.html").as_uri()],
                   check=True, capture_output=True, timeout=120)
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[0] >= 1600 and pixels.shape[1] >= 1000
    ink = (pixels[..., :3].mean(axis=2) < 0.5).mean()  # share of dark pixels: text and chart lines
    assert ink > 0.005, "the screenshot is (nearly) blank"
    assert np.unique(pixels[..., :3].reshape(-1, 3), axis=0).shape[0] > 50  # charts bring colours, not only text
    assert SCENARIOS.is_dir()
