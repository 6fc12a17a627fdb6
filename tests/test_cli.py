"""The ``evidex`` command as a user runs it, in a subprocess against a real data directory."""

from __future__ import annotations

import json

from tests.conftest import DATA, MINI, run_cli


def test_stats_on_builtin_corpus(builtin_copy):
    result = run_cli("corpus", "stats", "--json", data_dir=builtin_copy)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["documents"] > 17_000
    assert set(stats["by_source"]) == {"pubmed", "ngc", "open_medicine", "medquad"}
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


def test_show_unknown_id_is_a_clear_error(builtin_copy):
    result = run_cli("corpus", "show", "pmid:1", data_dir=builtin_copy)
    assert result.returncode == 1
    assert "no document with id 'pmid:1'" in result.stderr


def test_ingest_reports_counts_and_problems(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "title": "A", "text": "x"}\n{oops\n')
    env = {"EVIDEX_BUILTIN_CORPUS": "false"}
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
