"""Issue #33 item 4: every file read back (manifest, trajectories CSV and Parquet, reference) goes
through one guarded reader. A hostile or damaged file is refused with exit 2 and a message naming
the file, the line (the row in Parquet) and the value: never a traceback, a hang, an exhausted
memory, or a comparison computed from inf, an impossible share or a repeated row."""

import json
import os
import resource
import shutil
import subprocess
import sys

import pytest

from sim.cli import main
from tests.conftest import ROOT, SCENARIOS

REFERENCE = ROOT / "results" / "reference" / "baseline"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two short runs of the baseline in CSV and one in Parquet (never modified: tests copy them)."""
    root = tmp_path_factory.mktemp("guarded_runs")
    base = ["run", str(SCENARIOS / "baseline.yaml"), "--replicates", "3", "--set", "horizon=3", "-q"]
    for name, extra in (("a", []), ("b", []), ("pa", ["--format", "parquet"]), ("pb", ["--format", "parquet"])):
        assert main([*base, "--out", str(root / name), *extra]) == 0
    return root


def copy_run(runs, tmp_path, name="b"):
    folder = tmp_path / name
    shutil.copytree(runs / name, folder)
    return folder


def compare(runs, folder, tmp_path, baseline="a") -> list[str]:
    return ["compare", str(runs / baseline), str(folder), "--out", str(tmp_path / "comparison"), "-q"]


def limited_memory():  # a reader that never stops fails with MemoryError, not by exhausting the machine
    resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30))


def cli(args: list[str]) -> subprocess.CompletedProcess:
    """The command apart, bounded in time and memory: a FIFO would block, /dev/zero never end."""
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, timeout=60,
                          cwd=ROOT, preexec_fn=limited_memory)


# --- manifest.json ----------------------------------------------------------------------------

def _edit_manifest(path, replace):
    text = path.read_text()
    assert '"replicates": 3' in text
    path.write_text(text.replace('"replicates": 3', replace))


MANIFESTS = {  # damage -> (how, what the message must say)
    "a JSON list": (lambda p: p.write_text("[1, 2]"), "expected a JSON object, found a JSON list"),
    "replicates many": (lambda p: _edit_manifest(p, '"replicates": "many"'), "replicates = 'many'"),
    "replicates 1e999": (lambda p: _edit_manifest(p, '"replicates": 1e999'), "1e999 is not finite"),
    "duplicate key": (lambda p: _edit_manifest(p, '"replicates": 3, "replicates": 300'),
                      "duplicate key 'replicates'"),
    "not UTF-8": (lambda p: p.write_bytes(b'{"scenario": "caf\xe9"}'), "byte 0xe9 is not valid UTF-8"),
    "a folder": (lambda p: (p.unlink(), p.mkdir()), "is a directory"),
}


@pytest.mark.parametrize("damage", MANIFESTS)
def test_a_bad_manifest_is_refused_with_its_location(runs, tmp_path, capsys, damage):
    folder = copy_run(runs, tmp_path)
    how, expected = MANIFESTS[damage]
    how(folder / "manifest.json")
    capsys.readouterr()
    assert main(compare(runs, folder, tmp_path)) == 2
    err = capsys.readouterr().err
    assert f"{folder / 'manifest.json'}:" in err and expected in err, err
    assert "Traceback" not in err and not (tmp_path / "comparison").exists()


@pytest.mark.parametrize("kind", ["fifo", "dev_zero"])
def test_a_manifest_that_is_a_fifo_or_a_device_is_refused_without_reading(runs, tmp_path, kind):
    folder = copy_run(runs, tmp_path)
    path = folder / "manifest.json"
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)  # opened for reading, it blocks until a writer comes: never
    else:
        path.symlink_to("/dev/zero")  # read to the end, it fills memory
    done = cli(compare(runs, folder, tmp_path))
    assert done.returncode == 2, done.stderr[-1000:]
    assert f"{path}: not a regular file" in done.stderr and "Traceback" not in done.stderr


# --- trajectories.csv ---------------------------------------------------------------------------

def _edit_row(line: int, change):
    """A damage of data line ``line`` (1-based, the header is line 1) of trajectories.csv."""

    def edit(path):
        lines = path.read_bytes().split(b"\n")
        lines[line - 1:line] = change(lines[line - 1])
        path.write_bytes(b"\n".join(lines))

    return edit


def _value(text: bytes):
    return lambda row: [row.rsplit(b",", 1)[0] + b"," + text]


CSV_DAMAGES = {  # damage -> (how, line refused, what the message must say)
    "inf": (_edit_row(5, _value(b"inf")), 5, "value inf is not a finite number"),
    "1e308": (_edit_row(5, _value(b"1e308")), 5, "value 1e+308 is outside the range of"),
    "influence share 7.5": (_edit_row(5, _value(b"7.5")), 5, "value 7.5 is outside the range of influence (0 to 1)"),
    "nan": (_edit_row(5, _value(b"nan")), 5, "value nan is not a finite number"),
    "a relation below -1": (None, None, "is outside the range of relation (-1 to 1)"),
    "a duplicated row": (_edit_row(5, lambda row: [row, row]), 6, "repeated row"),
    "a NUL row": (_edit_row(5, lambda row: [row, b"\x00" * len(row)]), 6, "NUL character"),
    "a NUL in a name": (_edit_row(5, lambda row: [row.replace(b"morocco", b"moro\x00cco")]), 5, "NUL character"),
    "columns moved": (_edit_row(1, lambda row: [row.replace(b"source,target", b"target,source")]), 1,
                      "expected scenario,replicate,step,date,metric,source,target,value"),
    "invalid UTF-8": (_edit_row(5, lambda row: [row.replace(b"morocco", b"moro\xffcco")]), 5,
                      "byte 0xff is not valid UTF-8"),
    "a 131,073-character field": (_edit_row(5, lambda row: [row.replace(b"morocco", b"m" * 131_073)]), 5,
                                  "field larger than field limit"),
}


def _relation_below_minus_one(path):
    lines = path.read_bytes().split(b"\n")
    line = next(i for i, row in enumerate(lines, start=1) if b",relation," in row)
    _edit_row(line, _value(b"-1.5"))(path)
    return line


@pytest.mark.parametrize("damage", CSV_DAMAGES)
def test_a_bad_trajectories_csv_is_refused_naming_file_line_and_value(runs, tmp_path, capsys, damage):
    folder = copy_run(runs, tmp_path)
    path = folder / "trajectories.csv"
    how, line, expected = CSV_DAMAGES[damage]
    if how is None:
        line = _relation_below_minus_one(path)
    else:
        how(path)
    capsys.readouterr()
    assert main(compare(runs, folder, tmp_path)) == 2
    err = capsys.readouterr().err
    assert f"{path}:{line}:" in err and expected in err, err
    assert "Traceback" not in err and not (tmp_path / "comparison").exists()


def test_the_located_value_is_the_one_in_the_file(runs, tmp_path, capsys):
    """The message names the series, replicate and step of the refused value, as the row has them."""
    folder = copy_run(runs, tmp_path)
    path = folder / "trajectories.csv"
    row = path.read_text().splitlines()[4].split(",")
    _edit_row(5, _value(b"inf"))(path)
    assert main(compare(runs, folder, tmp_path)) == 2
    err = capsys.readouterr().err
    target = f"->{row[6]}" if row[6] != "-" else ""
    assert f"{row[4]} {row[5]}{target}, replicate {row[1]}, step {row[2]} ({row[3]})" in err, err


def test_a_trajectories_csv_that_is_a_fifo_is_refused_without_reading(runs, tmp_path):
    folder = copy_run(runs, tmp_path)
    path = folder / "trajectories.csv"
    path.unlink()
    os.mkfifo(path)
    done = cli(compare(runs, folder, tmp_path))
    assert done.returncode == 2, done.stderr[-1000:]
    assert f"{path}: not a regular file" in done.stderr


# --- trajectories.parquet ---------------------------------------------------------------------

def _set_value(value):
    def edit(table, pa):
        values = table.column("value").to_pylist()
        values[4] = value
        return table.set_column(table.column_names.index("value"), "value", pa.array(values, pa.float64()))

    return edit


def _insert_after_row_5(change):
    def edit(table, pa):
        row = table.slice(4, 1).to_pylist()[0]
        extra = pa.Table.from_pylist([change(dict(row))], schema=table.schema)
        return pa.concat_tables([table.slice(0, 5), extra, table.slice(5)])

    return edit


PARQUET_DAMAGES = {  # damage -> (how, row refused, what the message must say)
    "inf": (_set_value(float("inf")), 5, "value inf is not a finite number"),
    "1e308": (_set_value(1e308), 5, "value 1e+308 is outside the range of"),
    "influence share 7.5": (_set_value(7.5), 5, "value 7.5 is outside the range of influence (0 to 1)"),
    "nan": (_set_value(float("nan")), 5, "value nan is not a finite number"),
    "a duplicated row": (_insert_after_row_5(lambda row: row), 6, "repeated row"),
    "a NUL row": (_insert_after_row_5(lambda row: {**row, "source": "\x00" * 8}), 6, "NUL character"),
    "a NUL scenario": (_insert_after_row_5(lambda row: {**row, "scenario": "\x00"}), 6, "NUL character"),
}


@pytest.mark.parametrize("damage", PARQUET_DAMAGES)
def test_a_bad_trajectories_parquet_is_refused_naming_file_row_and_value(runs, tmp_path, capsys, damage):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    folder = copy_run(runs, tmp_path, "pb")
    path = folder / "trajectories.parquet"
    how, row, expected = PARQUET_DAMAGES[damage]
    pq.write_table(how(pq.read_table(path), pa), path)
    capsys.readouterr()
    assert main(compare(runs, folder, tmp_path, baseline="pa")) == 2
    err = capsys.readouterr().err
    assert f"{path}:{row}:1: row {row}: " in err and expected in err, err
    assert "Traceback" not in err and not (tmp_path / "comparison").exists()


# --- a reference (results/reference/NAME), on a copy --------------------------------------------

@pytest.fixture
def references(tmp_path):
    copy = tmp_path / "references"
    shutil.copytree(REFERENCE, copy / "baseline")
    return copy


def regress(references) -> list[str]:
    return ["regress", "--references", str(references), "--scenarios-dir", str(SCENARIOS), "baseline", "-q"]


REFERENCE_DAMAGES = {  # damage -> (how, what the message must say)
    "a JSON list": (lambda p: p.write_text("[1, 2]"), "corrupt reference: expected a JSON object"),
    "not UTF-8": (lambda p: p.write_bytes(p.read_bytes().replace(b'"seed"', b'"s\xffeed"')), "byte 0xff"),
    "replicates 1e999": (lambda p: p.write_text(p.read_text().replace('"replicates": 64', '"replicates": 1e999')),
                         "1e999 is not finite"),
    "a folder": (lambda p: (p.unlink(), p.mkdir()), "is a directory"),
}


@pytest.mark.parametrize("damage", REFERENCE_DAMAGES)
def test_a_bad_reference_json_is_refused_with_its_location(references, capsys, damage):
    path = references / "baseline" / "reference.json"
    how, expected = REFERENCE_DAMAGES[damage]
    how(path)
    capsys.readouterr()
    assert main(regress(references)) == 2
    err = capsys.readouterr().err
    assert f"{path}:" in err and expected in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("name", ["reference.json", "summary.csv"])
@pytest.mark.parametrize("kind", ["fifo", "dev_zero"])
def test_a_reference_file_that_is_a_fifo_or_a_device_is_refused_without_reading(references, name, kind):
    path = references / "baseline" / name
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    done = cli(regress(references))
    assert done.returncode == 2, done.stderr[-1000:]
    assert f"{path}: not a regular file" in done.stderr and "Traceback" not in done.stderr


def _rebless_files(folder):
    """Record the edited files' rows and hashes in reference.json, as a careful forger would: only
    the values' plausibility is left to catch the edit."""
    from sim.io.references import REFERENCE_FILES, _file_record, meta_hash

    meta = json.loads((folder / "reference.json").read_text())
    meta["files"] = {name: _file_record(folder / name) for name in REFERENCE_FILES}
    meta["meta_sha256"] = meta_hash(meta)
    (folder / "reference.json").write_text(json.dumps(meta, indent=2) + "\n")


@pytest.mark.parametrize("damage", ["final inf", "summary 7.5", "summary duplicate"])
def test_implausible_reference_values_are_refused_even_with_matching_hashes(references, capsys, damage):
    folder = references / "baseline"
    name = "final.csv" if damage.startswith("final") else "summary.csv"
    lines = (folder / name).read_text().splitlines(keepends=True)
    if damage == "final inf":
        lines[2] = lines[2].rsplit(",", 1)[0] + ",inf\n"
        expected = "value inf is not a finite number"
    elif damage == "summary 7.5":
        lines[2] = lines[2].rsplit(",", 1)[0] + ",7.5\n"
        expected = "value 7.5 is outside the range of influence (0 to 1)"
    else:
        lines.insert(3, lines[2])
        lines.pop()
        expected = "repeats line 3"
    (folder / name).write_text("".join(lines))
    _rebless_files(folder)
    capsys.readouterr()
    assert main(regress(references)) == 2
    err = capsys.readouterr().err
    assert f"{folder / name}:{4 if damage == 'summary duplicate' else 3}:1: corrupt reference row" in err, err
    assert expected in err, err


# --- what is whole still reads ----------------------------------------------------------------

@pytest.mark.parametrize("pair", [("a", "b"), ("pa", "pb"), ("a", "pb")])
def test_whole_run_folders_still_compare(runs, tmp_path, capsys, pair):
    assert main(["compare", str(runs / pair[0]), str(runs / pair[1]), "--out", str(tmp_path / "c"), "-q"]) == 0
    assert (tmp_path / "c" / "report.html").is_file()


def test_the_blessed_references_still_read(references):
    from sim.io.references import read_reference

    meta, summary, final = read_reference(references / "baseline")
    assert len(final) * len({key[0] for key in summary}) == len(summary)
    assert all(len(values) == meta["replicates"] for values in final.values())
