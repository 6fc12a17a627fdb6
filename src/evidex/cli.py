"""The ``evidex`` command: a thin shell over the Python API.

Data goes to stdout; progress, warnings and errors go to stderr.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from evidex.corpus import Corpus, DocumentNotFound
from evidex.ingest import IngestReport
from evidex.settings import Settings
from evidex.sources import READERS

app = typer.Typer(
    help="Evidence-based clinical answers with verified citations.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
corpus_app = typer.Typer(help="Inspect the evidence corpus.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")

out = Console()
err = Console(stderr=True)


class State:
    """Options shared by every command, set by the top-level callback."""

    data_dir: Optional[Path] = None


@app.callback()
def main(
    data_dir: Optional[Path] = typer.Option(
        None, "--data-dir", envvar="EVIDEX_DATA_DIR", help="Where the database lives (default: per-user data dir)."
    ),
) -> None:
    State.data_dir = data_dir


def load_settings() -> Settings:
    try:
        return Settings(data_dir=State.data_dir) if State.data_dir else Settings()
    except (ValueError, FileNotFoundError) as exc:
        err.print(f"[red]Error in settings:[/red] {exc}")
        raise typer.Exit(2) from None


@contextmanager
def open_corpus() -> Iterator[Corpus]:
    """Open the corpus, building the built-in corpus first when it is missing."""
    corpus = Corpus.open(load_settings())
    try:
        if corpus.needs_builtin():
            with progress_bar("Building the built-in corpus (first run only)") as advance:
                report = corpus.ensure_builtin(progress=advance)
            if report is not None:
                err.print(f"Built-in corpus: {report.summary()}")
        yield corpus
    finally:
        corpus.close()


@contextmanager
def progress_bar(description: str) -> Iterator:
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} records"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=None)
        yield lambda n: progress.advance(task, n)


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="PubMed XML (.xml/.xml.gz) or JSONL files."),
    format: Optional[str] = typer.Option(
        None, "--format", "-f", help=f"Input format (detected when omitted): {', '.join(READERS)}."
    ),
) -> None:
    """Add documents from files to the corpus (re-ingesting updates, never duplicates)."""
    if format is not None and format not in READERS:
        err.print(f"[red]Unknown format {format!r}.[/red] Choose one of: {', '.join(READERS)}.")
        raise typer.Exit(2)
    with open_corpus() as corpus:
        with progress_bar("Ingesting") as advance:
            report = corpus.ingest(paths, format=format, progress=advance)
    print_report(report)
    if report.problems:
        raise typer.Exit(1)


def print_report(report: IngestReport) -> None:
    for problem in report.problems:
        err.print(f"[yellow]skipped[/yellow] {problem.file} {problem.location}: {problem.message}", highlight=False)
    if report.skipped > len(report.problems):
        err.print(f"… and {report.skipped - len(report.problems)} more problems")
    out.print(report.summary(), highlight=False)


@corpus_app.command("stats")
def corpus_stats(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Count documents by source, evidence kind and audience."""
    with open_corpus() as corpus:
        stats = corpus.stats()
    if as_json:
        out.print_json(json.dumps(stats.__dict__))
        return
    table = Table(title=f"Corpus at {stats.database}", show_header=True)
    table.add_column("")
    table.add_column("documents", justify="right")
    for label, counts in (("source", stats.by_source), ("kind", stats.by_kind), ("audience", stats.by_audience)):
        for key, count in counts.items():
            table.add_row(f"{label}: {key}", f"{count:,}")
    out.print(table)
    out.print(
        f"{stats.documents:,} documents, {stats.passages:,} passages "
        f"({stats.embedded_passages:,} embedded), {stats.retracted} retracted, "
        f"years {stats.year_min}–{stats.year_max}, {stats.size_bytes / 1e6:.1f} MB",
        highlight=False,
    )


@corpus_app.command("show")
def corpus_show(
    doc_id: str = typer.Argument(..., metavar="ID", help="Document id, e.g. pmid:29768149 or ngc:11288."),
    as_json: bool = typer.Option(False, "--json", help="Print the stored document as JSON."),
) -> None:
    """Show one document with its provenance and passages."""
    with open_corpus() as corpus:
        try:
            document = corpus.get(doc_id)
        except DocumentNotFound as exc:
            err.print(f"[red]{exc}[/red]. Try `evidex search` to find ids.")
            raise typer.Exit(1) from None
    if as_json:
        out.print_json(document.model_dump_json())
        return
    out.print(f"[bold]{document.title}[/bold]", highlight=False)
    facts = [
        ("id", document.id),
        ("kind", f"{document.kind.label} (evidence level {document.kind.level})"),
        ("source", document.organisation or document.journal or document.source),
        ("published", document.published or document.year),
        ("sample size", document.sample_size),
        ("retracted", "YES — do not rely on this document" if document.retracted else None),
        ("doi", document.doi),
        ("url", document.url),
        ("mesh", "; ".join(document.mesh)),
        ("licence", document.licence),
    ]
    for name, value in facts:
        if value:
            out.print(f"[dim]{name:>12}[/dim]  {value}", highlight=False)
    for index, passage in enumerate(document.passages):
        strength = f" [{passage.strength}]" if passage.strength else ""
        out.print(f"\n[bold cyan]#{index} {passage.label}{strength}[/bold cyan]", highlight=False)
        out.print(passage.text, highlight=False, markup=False)
