"""The ``evidex`` command: a thin shell over the Python API.

Data goes to stdout; progress, warnings and errors go to stderr.  Exit codes:
0 done; 1 the input could not be used or found nothing (a question, query, id,
file record or user detail: the message says which); 2 usage (an unknown
command or option, an option value out of range, a settings error); 3 ``ask``
found no evidence that answers the question.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.console import Console, Group
from rich.markdown import Markdown
from rich.markup import escape
from rich.padding import Padding
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from evidex.answer.llm import LLMUnavailable
from evidex.answer.render import (
    display_title,
    search_result_data,
    to_html,
    to_json,
    to_markdown,
)
from evidex.answer.understand import QuestionError
from evidex.corpus import Corpus, DocumentNotFound, EmbeddingBusy, ProgressLog
from evidex.evidence.documents import EvidenceKind
from evidex.evidence.ingest import IngestReport
from evidex.evidence.sources import READERS
from evidex.evidence.store import SearchFilters
from evidex.settings import Settings

app = typer.Typer(
    help="Evidence-based clinical answers with verified citations.",
    epilog=(
        "Exit codes: 0 done; 1 the input could not be used or found nothing (a question, query, id, file record"
        " or user detail); 2 usage (an unknown command or option, a bad option value, a settings error);"
        " 3 ask found no evidence that answers the question."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
corpus_app = typer.Typer(help="Inspect the evidence corpus.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")
users_app = typer.Typer(help="Manage the service's users: readers, reviewers and admins.", no_args_is_help=True)
app.add_typer(users_app, name="users")
db_app = typer.Typer(help="The article database (articles, reviews, users).", no_args_is_help=True)
app.add_typer(db_app, name="db")
pubmed_app = typer.Typer(help="PubMed: search it live, or keep a copy current from NLM's files.", no_args_is_help=True)
app.add_typer(pubmed_app, name="pubmed")

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
    try:
        corpus = Corpus.open(load_settings())
    except ValueError as exc:  # a database_url that cannot be used (no driver, no server, no pgvector)
        err.print(f"[red]Cannot open the corpus:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
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
def progress_bar(description: str, total: int | None = None, unit: str = "records") -> Iterator:
    """Progress of long work: a bar on a terminal, else a line on stderr every 30 s and at the end."""
    if not err.is_terminal:
        reporter = ProgressLog(description.lower(), total, unit, lambda line: err.print(line, highlight=False))
        yield reporter
        if reporter.done and reporter.total is None:
            err.print(reporter.line(), highlight=False)
        return
    columns = [SpinnerColumn(), TextColumn("[progress.description]{task.description}"), BarColumn()]
    columns.append(TextColumn(f"{{task.completed:,}}{' of {task.total:,}' if total is not None else ''} {unit}"))
    columns += [TimeElapsedColumn()] + ([TimeRemainingColumn()] if total is not None else [])
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)


def embed_with_progress(corpus: Corpus, description: str = "Embedding passages") -> int | None:
    """Embed what has no vector, with progress; ``None`` when another process is at it."""
    total = corpus.passages_to_embed()
    if not total:
        return 0
    try:
        with progress_bar(description, total, "passages") as advance:
            return corpus.embed_passages(advance)
    except EmbeddingBusy as exc:
        err.print(f"{exc}: the {total:,} passages without vectors are found by words until it is done")
        return None


RAY_OPTION = typer.Option(
    None, "--ray", metavar="ADDRESS",
    help="Run on Ray (pip install 'evidex[scale]'): 'local' (this machine's cores), 'auto' (the cluster this"
    " machine belongs to) or ray://HOST:10001.  Files are read in parallel tasks, passages embedded by actors.",
)


@contextmanager
def ray_errors() -> Iterator[None]:
    """A missing Ray install or an unreachable cluster is a usage error, said in one line."""
    try:
        yield
    except ValueError as exc:
        if "scale extra" not in str(exc):
            raise
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    except ConnectionError as exc:
        err.print(f"[red]Cannot reach the Ray cluster:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None


def embed_on_ray_with_progress(corpus: Corpus, address: str, description: str = "Embedding passages") -> int | None:
    """Embed what has no vector with Ray actors, with progress and a line of figures; ``None`` when another process is at it."""
    total = corpus.passages_to_embed()
    if not total:
        return 0
    try:
        with ray_errors(), progress_bar(description, total, "passages") as advance:
            run = corpus.embed_on_ray(address, advance)
    except EmbeddingBusy as exc:
        err.print(f"{exc}: the {total:,} passages without vectors are found by words until it is done")
        return None
    where = f"{run.actors} actor{'s' * (run.actors != 1)} x {run.threads_per_actor} cores" + (" (GPU)" if run.gpus_per_actor else "")
    computed = sum(run.batch_sizes)
    err.print(
        f"Ray: {run.passages:,} passages in {run.seconds:.0f} s ({run.shipped:,} shipped vectors), {where};"
        + (f" {len(run.batch_sizes)} batches, {run.passages_per_actor_second:.1f} passages/s per actor" if computed else ""),
        highlight=False,
    )
    return run.passages


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="PubMed XML (.xml/.xml.gz) or JSONL files."),
    format: Optional[str] = typer.Option(
        None, "--format", "-f", help=f"Input format (detected when omitted): {', '.join(READERS)}."
    ),
    embed: bool = typer.Option(
        True, "--embed/--no-embed", help="Embed new passages now (else later with `evidex embed`)."
    ),
    ray: Optional[str] = RAY_OPTION,
) -> None:
    """Add documents from files to the corpus (re-ingesting updates, never duplicates)."""
    if format is not None and format not in READERS:
        err.print(f"[red]Unknown format {format!r}.[/red] Choose one of: {', '.join(READERS)}.")
        raise typer.Exit(2)
    with open_corpus() as corpus:
        with ray_errors(), progress_bar("Ingesting") as advance:
            report = corpus.ingest(paths, format=format, progress=advance, embed=False, ray=ray)
        print_report(report)
        if embed and ray:
            embed_on_ray_with_progress(corpus, ray, "Embedding new passages")
        elif embed:
            embed_with_progress(corpus, "Embedding new passages")
    if report.problems:
        raise typer.Exit(1)


@app.command()
def embed(ray: Optional[str] = RAY_OPTION) -> None:
    """Embed passages that have no vector yet (after `ingest --no-embed`); stop any time, the next run goes on."""
    with open_corpus() as corpus:
        done = embed_on_ray_with_progress(corpus, ray) if ray else embed_with_progress(corpus)
    if done is None:
        raise typer.Exit(1)
    out.print(f"{done} passages embedded")


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
    doc_id: str = typer.Argument(..., metavar="ID", help="Document id, as `evidex search` shows it, e.g. ngc:11288."),
    as_json: bool = typer.Option(False, "--json", help="Print the stored document as JSON."),
) -> None:
    """Show one document with its provenance and passages."""
    with open_corpus() as corpus:
        try:
            document = corpus.get(doc_id)
        except DocumentNotFound as exc:
            err.print(f"[red]{escape(str(exc))}[/red]. `evidex search QUERY` shows each result's id.", highlight=False)
            raise typer.Exit(1) from None
    if as_json:
        out.print_json(document.model_dump_json())
        return
    out.print(f"[bold]{escape(document.title)}[/bold]", highlight=False)
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


class Output(str, Enum):
    terminal = "terminal"
    markdown = "markdown"
    json = "json"
    html = "html"


def search_filters(
    kind: Optional[list[EvidenceKind]], since: Optional[int], until: Optional[int],
    source: Optional[list[str]], consumer: Optional[bool], include_retracted: bool,
) -> SearchFilters:
    """The filter options shared by ``search`` and ``ask``."""
    audience = None if consumer is None else ("consumer" if consumer else "professional")
    return SearchFilters(
        year_from=since, year_to=until, kinds=list(kind or []), sources=list(source or []),
        audience=audience, exclude_retracted=not include_retracted,
    )


KIND_OPTION = typer.Option(
    None, "--kind", "-k", case_sensitive=False, help="Only this evidence kind, in any case: rct, RCT, guideline … (repeatable)."
)
SINCE_OPTION = typer.Option(None, "--since", help="Only documents published in or after this year.")
UNTIL_OPTION = typer.Option(None, "--until", help="Only documents published in or before this year.")
SOURCE_OPTION = typer.Option(None, "--source", help="Only this source: pubmed, ngc, open_medicine, medquad, user (repeatable).")
CONSUMER_OPTION = typer.Option(None, "--consumer/--professional", help="Only consumer-health or only professional documents.")
RETRACTED_OPTION = typer.Option(False, "--include-retracted", help="Also return retracted documents (marked).")


SNIPPET_CHARS = 300


@app.command()
def search(
    query: str = typer.Argument(..., help="What to look for, in your own words."),
    top_k: int = typer.Option(10, "--top-k", "-n", min=1, max=1000, help="How many passages to show."),
    kind: Optional[list[EvidenceKind]] = KIND_OPTION,
    since: Optional[int] = SINCE_OPTION,
    until: Optional[int] = UNTIL_OPTION,
    source: Optional[list[str]] = SOURCE_OPTION,
    consumer: Optional[bool] = CONSUMER_OPTION,
    include_retracted: bool = RETRACTED_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    explain: bool = typer.Option(False, "--explain", help="Show the expanded query and ranking parameters."),
) -> None:
    """Find the passages that best match a query, ranked by relevance and evidence strength."""
    filters = search_filters(kind, since, until, source, consumer, include_retracted)
    with open_corpus() as corpus:
        try:
            result = corpus.search(query, filters, top_k)
        except QuestionError as exc:
            err.print(f"[red]Cannot search:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from None
        settings = corpus.settings.search
    if as_json:
        out.print_json(json.dumps(search_result_data(result)))
        return
    if explain:
        err.print(f"lexical query:   {result.lexical_query}", markup=False, highlight=False)
        err.print(f"expansion query: {result.expansion_query}", markup=False, highlight=False)
        err.print(f"ranking: {settings.model_dump()}", markup=False, highlight=False)
    if not result.hits:
        err.print("No passages matched. Try other words, or remove filters.")
        raise typer.Exit(1)
    for rank, hit in enumerate(result.hits, start=1):
        out.print(search_hit_block(rank, hit), highlight=False)
    err.print(f"{len(result.hits)} passages in {result.took_ms:.0f} ms")


def search_hit_block(rank: int, hit) -> Group:
    """One result as a few readable lines at any terminal width: title, where it comes
    from and why it ranks there, then the start of the passage."""
    p = hit.parts
    doc = hit.document
    lexical = f"words #{p.lexical_rank}" if p.lexical_rank else "words –"
    dense = f"meaning #{p.dense_rank}" if p.dense_rank else "meaning –"
    factor = p.final / p.relevance if p.relevance else 1.0
    text = hit.passage.text
    if len(text) > SNIPPET_CHARS:
        text = text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    body = Text()
    body.append(f"{doc.kind.label} · {doc.year or 'no year'} · {hit.passage_id}", style="cyan")
    if doc.retracted:
        body.append(" · RETRACTED", style="bold red")
    found_by = f"{lexical}, {dense}" + (f", {p.coverage:.0%} of the question's words" if p.coverage is not None else "")
    body.append(f"\nscore {p.final:.3f}: relevance {p.relevance:.3f} ({found_by}) × {factor:.2f} evidence and recency", style="dim")
    body.append(f"\n{hit.passage.label + ': ' if hit.passage.label else ''}{text}\n")
    title = Text(f"{rank:>2}. ", style="bold")
    title.append(display_title(doc.title), style="bold")
    return Group(title, Padding(body, (0, 0, 0, 4)))


@app.command()
def ask(
    question: str = typer.Argument(..., help="A clinical question."),
    audience: str = typer.Option("clinician", "--audience", "-a", help="clinician or patient (plain language)."),
    output: Output = typer.Option(Output.terminal, "--format", "-f", help="How to print the answer."),
    as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
    kind: Optional[list[EvidenceKind]] = KIND_OPTION,
    since: Optional[int] = SINCE_OPTION,
    until: Optional[int] = UNTIL_OPTION,
    source: Optional[list[str]] = SOURCE_OPTION,
    include_retracted: bool = RETRACTED_OPTION,
    after: Optional[list[str]] = typer.Option(
        None, "--after", help="An earlier question of the conversation (repeat, oldest first): a follow-up inherits its condition and patient details."
    ),
    pubmed: Optional[bool] = typer.Option(
        None, "--pubmed/--no-pubmed",
        help="Search PubMed live first and keep what it finds (default: the pubmed.enabled setting, off).",
    ),
) -> None:
    """Answer a clinical question from the evidence, with verified citations."""
    filters = search_filters(kind, since, until, source, None, include_retracted)
    with open_corpus() as corpus:
        try:
            answer = corpus.ask(question, audience=audience, filters=filters, earlier=after or (), pubmed=pubmed)
        except QuestionError as exc:
            err.print(f"[red]Cannot answer:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from None
        except LLMUnavailable as exc:
            err.print(f"[red]Cannot answer:[/red] {escape(str(exc))} (check the llm settings)")
            raise typer.Exit(2) from None
        live = answer.provenance.live_search
        if live is not None:
            err.print(live.note, highlight=False, markup=False)
            if live.fetched and (waiting := corpus.passages_to_embed()):
                err.print(
                    f"{waiting:,} passages are found by words until embedded (`evidex embed`, or `evidex serve` in the background).",
                    highlight=False,
                )
    output = Output.json if as_json else output
    if output is Output.json:
        print(to_json(answer))
    elif output is Output.html:
        print(to_html(answer))
    elif output is Output.markdown:
        print(to_markdown(answer))
    else:
        out.print(Markdown(to_markdown(answer)))
    if answer.abstained:
        raise typer.Exit(3)


# -- PubMed -----------------------------------------------------------------------------------


@pubmed_app.command("search")
def pubmed_search(
    query: str = typer.Argument(..., help="A question or topic, as you would ask it."),
    embed: bool = typer.Option(True, "--embed/--no-embed", help="Embed the new passages now (else later with `evidex embed`)."),
) -> None:
    """Fetch what PubMed has for a question and store it, without answering."""
    with open_corpus() as corpus:
        try:
            fetched = corpus.search_pubmed(query)
        except QuestionError as exc:
            err.print(f"[red]Cannot search:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from None
        err.print(f"PubMed query: {fetched.query}", highlight=False, markup=False)
        if fetched.error:
            err.print(f"[red]PubMed could not be searched:[/red] {escape(fetched.error)}")
            raise typer.Exit(1)
        where = f"searched on {fetched.cached_at} (not asked again)" if fetched.cached_at else f"in {fetched.seconds:.1f} s"
        out.print(
            f"{fetched.found:,} records match; took {len(fetched.pmids)} ({where}): {fetched.fetched} fetched,"
            f" {fetched.stored} stored, {fetched.problems} unreadable",
            highlight=False,
        )
        for pmid in fetched.pmids:
            document = corpus.store.get(f"pmid:{pmid}")
            if document is not None:
                out.print(f"  pmid:{pmid}  {document.kind.label} · {document.year or 'no year'} · {document.title}", highlight=False, markup=False)
        if embed and fetched.stored:
            embed_with_progress(corpus, "Embedding new passages")


@pubmed_app.command("sync")
def pubmed_sync(
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Apply at most this many files in this run."),
    ray: Optional[str] = RAY_OPTION,
) -> None:
    """Download NLM's PubMed baseline and update files, check their MD5, and apply those not applied yet, in order.

    Stop it any time (even kill -9): the next run goes on after the last committed batch.
    """
    from evidex.evidence.pubmed.sync import SyncError

    with open_corpus() as corpus:
        err.print(f"PubMed files from {corpus.settings.pubmed.baseline_url}", highlight=False)
        try:
            with ray_errors(), progress_bar("Applying PubMed files") as advance:
                report = corpus.sync_pubmed(
                    limit, advance, log=lambda line: err.print(line, highlight=False, markup=False), ray=ray
                )
        except SyncError as exc:
            err.print(f"[red]Sync stopped:[/red] {escape(str(exc))}. What was applied before stays; run it again to go on.")
            raise typer.Exit(1) from None
        waiting = corpus.passages_to_embed()
    total = report.total
    out.print(
        f"{len(report.applied)} files applied ({report.already} applied before, {report.left} left of {report.listed}): "
        f"{total.summary()}",
        highlight=False,
    )
    for problem in total.problems[:20]:
        err.print(f"[yellow]skipped[/yellow] {problem.file} {problem.location}: {problem.message}", highlight=False)
    if waiting:
        err.print(f"{waiting:,} passages are found by words until embedded (`evidex embed`, or `evidex serve` in the background).")


# -- the service ------------------------------------------------------------------------------


@app.command()
def serve(
    host: Optional[str] = typer.Option(None, "--host", help="Interface to listen on (default 127.0.0.1)."),
    port: Optional[int] = typer.Option(None, "--port", help="TCP port (default 8000)."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Server processes; each loads its own models."),
) -> None:
    """Run the web page and the JSON API (OpenAPI schema at /openapi.json)."""
    import os

    import uvicorn

    settings = load_settings()
    service = settings.service.model_copy(
        update={k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v is not None}
    )
    # Worker processes build their settings from the environment: pass the choices on.
    if State.data_dir:
        os.environ["EVIDEX_DATA_DIR"] = str(State.data_dir)
    # Build what the workers share once, here, so that they never race to create it; passages without
    # vectors are embedded by the server in the background, so it listens at once.
    with open_corpus() as corpus:
        waiting = corpus.passages_to_embed()
    if waiting:
        err.print(f"{waiting:,} passages have no vector yet: embedding them in the background (found by words meanwhile)")
    from evidex.service.db import open_database

    open_database(settings.articles_url).dispose()
    if settings.articles_url.startswith("sqlite:"):
        err.print(f"Articles: {settings.articles_url.removeprefix('sqlite:///')}")
    err.print(f"evidex serving on http://{service.host}:{service.port} (Ctrl+C to stop)")
    uvicorn.run(
        "evidex.service.server:app_from_environment", factory=True, host=service.host, port=service.port,
        workers=service.workers, log_level="info", proxy_headers=service.proxy_headers,
        forwarded_allow_ips=service.forwarded_allow_ips,
    )


def _accounts():
    from evidex.service.accounts import Accounts
    from evidex.service.db import open_database

    return Accounts(open_database(load_settings().articles_url))


@contextmanager
def account_errors(what: str) -> Iterator[None]:
    """Print an account error as "Cannot <what>: <why>" and exit with 1 (an error in the input)."""
    from evidex.service.accounts import AccountError

    try:
        yield
    except AccountError as exc:
        err.print(f"[red]Cannot {what}:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None


def read_password(from_stdin: bool, prompt: str) -> str:
    import sys

    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=True)


ROLE_HELP = "reader, reviewer (medical reviewer: approves articles) or admin (manages users)."
PASSWORD_STDIN_OPTION = typer.Option(False, "--password-stdin", help="Read the password from standard input.")


@users_app.command("add")
def users_add(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option("reader", "--role", "-r", help=ROLE_HELP),
    password_stdin: bool = PASSWORD_STDIN_OPTION,
) -> None:
    """Create a user (asks for the password unless --password-stdin)."""
    password = read_password(password_stdin, "Password")
    with account_errors("add user"):
        user = _accounts().add(username, password, role)  # type: ignore[arg-type]
    err.print(f"Added {user.username} ({user.role}).")


@users_app.command("list")
def users_list() -> None:
    """List users and their roles."""
    for user in _accounts().list():
        print(f"{user.username}\t{user.role}")


@users_app.command("role")
def users_role(username: str, role: str = typer.Argument(..., help=ROLE_HELP)) -> None:
    """Change a user's role."""
    with account_errors("change role"):
        user = _accounts().set_role(username, role)  # type: ignore[arg-type]
    err.print(f"{user.username} is now {user.role}.")


@users_app.command("password")
def users_password(username: str, password_stdin: bool = PASSWORD_STDIN_OPTION) -> None:
    """Set a new password (signs the user out everywhere)."""
    password = read_password(password_stdin, "New password")
    with account_errors("set password"):
        _accounts().set_password(username, password)
    err.print(f"Password changed for {username}.")


@users_app.command("remove")
def users_remove(username: str) -> None:
    """Delete a user with their tokens and sessions (their review log entries stay)."""
    with account_errors("remove"):
        _accounts().remove(username)
    err.print(f"Removed {username}.")


@users_app.command("token")
def users_token(
    username: str,
    name: str = typer.Option("api", "--name", help="What the token is for."),
    revoke: bool = typer.Option(False, "--revoke", help="Revoke all of the user's tokens instead."),
) -> None:
    """Issue an API bearer token (printed once; only its hash is stored)."""
    accounts = _accounts()
    with account_errors("issue a token"):
        if revoke:
            err.print(f"Revoked {accounts.revoke_tokens(username)} token(s) of {username}.")
            return
        print(accounts.issue_token(username, name))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the article database or migrate it to this version's schema (keeps all data)."""
    from evidex.service.db import create_engine, current_revision, upgrade

    engine = create_engine(load_settings().articles_url)
    before = current_revision(engine)
    after = upgrade(engine)
    err.print(f"Article database at revision {after}" + (f" (was {before})" if before != after else " (up to date)"))
