import pytest

from sim.errors import InputError
from sim.scenario.yamlsafe import parse_yaml_bytes, read_yaml_file


def problems_of(text: bytes) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_yaml_bytes(text, "f.yaml")
    return [str(p) for p in caught.value.problems]


def test_positions_of_values_and_keys():
    doc = parse_yaml_bytes(b"a:\n  b: 3\n  c: [1, 2]\n", "f.yaml")
    assert doc.data == {"a": {"b": 3, "c": [1, 2]}}
    assert doc.where(("a", "b")) == (2, 6)
    assert doc.where(("a", "b"), at_key=True) == (2, 3)
    assert doc.where(("a", "c", 1)) == (3, 10)


def test_dates_stay_text():
    assert parse_yaml_bytes(b"start: 2022-01\nday: 2022-01-05\n", "f").data == {
        "start": "2022-01",
        "day": "2022-01-05",
    }


def test_duplicate_key():
    assert problems_of(b"a: 1\nb: 2\na: 3\n") == ["f.yaml:3:1: duplicate key 'a' (first defined on line 1)"]


def test_python_tag_is_an_error_not_a_crash():
    (line,) = problems_of(b"a: !!python/object/apply:os.system ['echo hi']\n")
    assert line.startswith("f.yaml:1:4: unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'")


def test_syntax_error_located():
    (line,) = problems_of(b"a: [1, 2\nb: 3\n")
    assert line.startswith("f.yaml:2:2: YAML syntax error")


def test_not_utf8():
    assert problems_of(b"a: 1\nb: caf\xe9\n") == [
        "f.yaml:2:7: byte 0xe9 is not valid UTF-8; save the file as UTF-8"
    ]


def test_billion_laughs_rejected_before_it_expands():
    """Refused while composing, not after building 9**10 nodes: measured in memory, not seconds
    (a timing assertion failed CI on a loaded machine)."""
    import tracemalloc

    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    tracemalloc.start()
    try:
        (line,) = problems_of("\n".join(lines).encode())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "expands to more than" in line
    assert peak < 64 * 2**20, f"{peak / 2**20:.0f} MiB held while refusing the document"


def test_file_too_large():
    (line,) = problems_of(b"a: " + b"x" * 1_000_001)
    assert "more than the 1000000 allowed" in line


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as caught:
        read_yaml_file(tmp_path / "nope.yaml")
    assert str(caught.value.problems[0]).endswith("nope.yaml: file not found")
