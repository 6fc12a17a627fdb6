"""The ``evidex`` command as a user runs it, in a subprocess against a real data directory."""

from __future__ import annotations

import json
import re

from tests.conftest import DATA, MINI, run_cli


def test_stats_on_builtin_corpus(builtin_copy):
    result = run_cli("corpus", "stats", "--json", data_dir=builtin_copy)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["documents"] > 17_000
    assert set(stats["by_source"]) == {"pubmed", "ngc", "open_medicine", "medquad", "nci_dictionary"}
    assert stats["by_kind"]["guideline"] == 250


def test_first_run_builds_the_builtin_corpus(tmp_path):
    result = run_cli("corpus", "stats", "--json", data_dir=tmp_path / "fresh")
    assert result.returncode == 0, result.stderr
    assert "Built-in corpus:" in result.stderr and "0 skipped" in result.stderr
    stats = json.loads(result.stdout)
    # Every built-in passage gets its vector from the file shipped in the package.
    assert stats["embedded_passages"] == stats["passages"] > 38_000


def test_show_a_guideline_with_provenance(builtin_copy):
    result = run_cli("corpus", "show", "ngc:11288", data_dir=builtin_copy)
    assert result.returncode == 0, result.stderr
    assert "VA/DoD clinical practice guideline for diagnosis and treatment of low back pain" in result.stdout
    assert "Department of Veterans Affairs" in result.stdout
    assert "Strong For" in result.stdout


def test_show_unknown_id_is_a_clear_error_that_suggests_real_ids(builtin_copy):
    result = run_cli("corpus", "show", "pmid:1", data_dir=builtin_copy)
    assert result.returncode == 1
    assert "no document with id 'pmid:1'" in result.stderr
    suggested = result.stderr.split("look like ", 1)[1].split(".")[0].replace("\n", " ").split(", ")
    assert {s.strip().split(":")[0] for s in suggested} == {"medquad", "ngc", "om", "pmid", "nci-dictionary"}
    for doc_id in suggested:
        assert run_cli("corpus", "show", doc_id.strip(), data_dir=builtin_copy).returncode == 0, doc_id
    help_text = run_cli("corpus", "show", "--help", data_dir=builtin_copy).stdout
    for example in re.findall(r"\b(?:pmid|ngc|om|medquad):\S+?(?=[.,\s])", help_text):
        assert run_cli("corpus", "show", example, data_dir=builtin_copy).returncode == 0, example


def test_evidence_kinds_are_case_insensitive(builtin_copy):
    upper = run_cli("search", "exercise for low back pain", "--kind", "RCT", "--json", "-n", "3", data_dir=builtin_copy)
    assert upper.returncode == 0, upper.stderr
    assert {hit["kind"] for hit in json.loads(upper.stdout)["hits"]} == {"rct"}


def test_exit_codes_say_what_went_wrong(builtin_copy):
    """0 done, 1 the input could not be used, 2 usage (documented in `evidex --help`)."""
    assert "1 the input" in " ".join(run_cli("--help", data_dir=builtin_copy).stdout.split())
    empty = run_cli("ask", "   ", data_dir=builtin_copy)
    assert empty.returncode == 1 and "the question is empty" in empty.stderr
    control = run_cli("search", "back\x01pain", data_dir=builtin_copy)
    assert control.returncode == 1 and "U+0001" in control.stderr
    assert run_cli("corpus", "show", "ngc:0", data_dir=builtin_copy).returncode == 1
    assert run_cli("search", "back pain", "--top-k", "0", data_dir=builtin_copy).returncode == 2
    assert run_cli("search", "back pain", "--kind", "horoscope", data_dir=builtin_copy).returncode == 2
    assert run_cli("no-such-command", data_dir=builtin_copy).returncode == 2


def test_ingest_reports_counts_and_problems(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "title": "A", "text": "x"}\n{oops\n')
    # MiniLM embeds ~150 passages/s on two cores, e5 6-11: what this checks is the report
    env = {"EVIDEX_BUILTIN_CORPUS": "false", "EVIDEX_SEARCH__EMBEDDING_MODEL": "minilm-l6-onnx-int8"}
    result = run_cli("ingest", str(MINI / "pubmed_abstracts.jsonl"), str(bad), data_dir=tmp_path / "d", env=env)
    assert result.returncode == 1
    assert "21 ingested, 0 updated, 0 unchanged, 1 skipped, 0 deleted" in result.stdout
    assert "bad.jsonl line 2: invalid JSON" in result.stderr

    again = run_cli("ingest", str(DATA / "pubmed-29768149.xml"), data_dir=tmp_path / "d", env=env)
    assert again.returncode == 0, again.stderr
    assert "1 ingested" in again.stdout


def test_unknown_format_option(tmp_path):
    result = run_cli("ingest", "--format", "csv", str(MINI / "pubmed_abstracts.jsonl"), data_dir=tmp_path)
    assert result.returncode == 2 and "Unknown format 'csv'" in result.stderr


def test_ingest_without_embedding_then_embed(tmp_path):
    env = {"EVIDEX_BUILTIN_CORPUS": "false"}
    data = tmp_path / "d"
    result = run_cli("ingest", "--no-embed", str(MINI / "review_abstracts.jsonl"), data_dir=data, env=env)
    assert result.returncode == 0, result.stderr
    stats = json.loads(run_cli("corpus", "stats", "--json", data_dir=data, env=env).stdout)
    assert stats["embedded_passages"] == 0 and stats["passages"] > 0
    embedded = run_cli("embed", data_dir=data, env=env)
    assert embedded.returncode == 0, embedded.stderr
    assert f"{stats['passages']} passages embedded" in embedded.stdout
