"""The command line: `check`, `graph`, `rule`, `rules`, `debug-config`.

Exit status: 0 clean, 1 findings, 2 usage or config error, 101 internal error.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

import click

from queuelint import __version__, config, engine, pool
from queuelint.discover import PathError
from queuelint.graph_output import RENDERERS
from queuelint.reporters import REPORTERS, reporter
from queuelint.reporters.paths import display_path, shown_path
from queuelint.rules import REGISTRY, lookup

if TYPE_CHECKING:
    from queuelint.model import FileFacts

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 101


def _fail(message: str, status: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"queuelint: error: {message}", err=True)
    sys.exit(status)


def _settings(config_path: str | None, select: Sequence[str], ignore: Sequence[str]) -> config.Settings:
    try:
        settings = config.load(config_path)
        return config.with_cli(settings, _split(select), _split(ignore))
    except config.ConfigError as error:
        _fail(str(error))


def _split(values: Sequence[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _analyse(paths: Sequence[str], settings: config.Settings, jobs: int, cache: bool = True,
             facts: Sequence[str] = (), reuse: bool = False) -> engine.Result:
    root = project_root(settings)
    cache_dir = None
    if cache:
        from queuelint.cache import prepare

        cache_dir, why_not = prepare(root, settings.cache_dir)
        if cache_dir is None:  # said once; the analysis is the same without a cache, only slower
            click.echo(f"queuelint: warning: {display_path(os.path.join(root, settings.cache_dir))}: "
                       f"running without a cache: {why_not}", err=True)
    try:
        imported = _imported(facts, root)
        if paths and all(os.path.isfile(p) for p in paths):
            # Files only (a pre-commit hook, an editor): a mismatch spans files, so analyse the
            # whole project and keep the findings in, or pointing at, the files given.
            return engine.analyse_for_files(paths, root, settings, jobs=jobs, cache_dir=cache_dir, imported=imported,
                                            reuse=reuse)
        return engine.analyse(paths or ["."], settings, jobs=jobs, cache_dir=cache_dir, imported=imported, reuse=reuse)
    except PathError as error:
        _fail(str(error))


def _imported(sources: Sequence[str], root: str) -> list[FileFacts]:
    """Facts exported elsewhere (`--facts`)."""
    if not sources:
        return []
    from queuelint import exchange  # the facts vocabulary: not needed by most runs

    try:
        return [f for source in sources for f in exchange.load(source, root)]
    except exchange.FactsError as error:
        _fail(str(error))


def project_root(settings: config.Settings) -> str:
    """The config file's directory, else the enclosing git work tree, else the working directory."""
    if settings.source is not None:
        return settings.root
    current = os.path.abspath(".")
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return os.path.abspath(".")
        current = parent


def _report_problems(result: engine.Result) -> None:
    for path, why in result.skipped:
        click.echo(f"queuelint: warning: {shown_path(path)}: skipped: {why}", err=True)
    for error in result.internal_errors:
        click.echo(f"queuelint: internal error: {error}", err=True)


config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False),
                             help="Read settings from this file instead of the nearest queuelint.toml / pyproject.toml.")
cache_option = click.option("--no-cache", "no_cache", is_flag=True,
                            help="Read every file afresh and do not write .queuelint_cache/.")
jobs_option = click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
                           help="Processes for extraction (default: one per core).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="queuelint")
def cli() -> None:
    """Static linter for job-queue producer/consumer mismatches."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--select", multiple=True, help="Rule codes, prefixes or names to enable (replaces the config).")
@click.option("--ignore", multiple=True, help="Rule codes, prefixes or names to disable.")
@click.option("--output-format", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@config_option
@jobs_option
@cache_option
@click.option("--facts", "facts", multiple=True, type=click.Path(dir_okay=False),
              help="Also use facts exported by `queuelint extract` (another repository, or a shard).")
def check(paths: tuple[str, ...], select: tuple[str, ...], ignore: tuple[str, ...], output_format: str,
          exit_zero: bool, config_path: str | None, jobs: int | None, no_cache: bool, facts: tuple[str, ...]) -> None:
    """Check PATHS (default: the current directory) for queue mismatches."""
    settings = _settings(config_path, select, ignore)
    result = _analyse(paths, settings, jobs or pool.default_jobs(), cache=not no_cache, facts=facts, reuse=True)
    if output_format == "text":  # the one format a person reads whole: it says what was covered
        from queuelint.reporters import text

        output = text.render(result.diagnostics, len(result.internal_errors), result.coverage)
    else:
        output = reporter(output_format)(result.diagnostics, len(result.internal_errors))
    click.echo(output, nl=False)
    _report_problems(result)
    if result.internal_errors:
        sys.exit(EXIT_INTERNAL)
    sys.exit(EXIT_FINDINGS if result.diagnostics and not exit_zero else EXIT_CLEAN)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(sorted(RENDERERS)), default="json", show_default=True)
@config_option
@jobs_option
@cache_option
def graph(paths: tuple[str, ...], output_format: str, config_path: str | None, jobs: int | None,
          no_cache: bool) -> None:
    """Show the queues, job names, producers and consumers that were understood."""
    settings = _settings(config_path, (), ())
    result = _analyse(paths, settings, jobs or pool.default_jobs(), cache=not no_cache)
    assert result.graph is not None  # only `check` reuses a result, which has no graph
    click.echo(RENDERERS[output_format](result.graph), nl=False)
    _report_problems(result)
    sys.exit(EXIT_INTERNAL if result.internal_errors else EXIT_CLEAN)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--output", "-o", "output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the facts (JSON).")
@config_option
@jobs_option
@cache_option
def extract(paths: tuple[str, ...], output: str, config_path: str | None, jobs: int | None, no_cache: bool) -> None:
    """Export the producers and consumers of PATHS, names resolved, for `check --facts`."""
    settings = _settings(config_path, (), ())
    result = _analyse(paths, settings, jobs or pool.default_jobs(), cache=not no_cache)
    assert result.graph is not None  # only `check` reuses a result, which has no graph
    from queuelint import exchange

    try:
        count = exchange.write(result.graph, project_root(settings), output)
    except OSError as error:
        _fail(f"{output}: cannot write: {error.strerror}")
    click.echo(f"{output}: facts of {count} file{'s' if count != 1 else ''}", err=True)
    _report_problems(result)
    sys.exit(EXIT_INTERNAL if result.internal_errors else EXIT_CLEAN)


@cli.command()
@click.argument("code")
def rule(code: str) -> None:
    """Explain a rule (by code or name)."""
    found = lookup(code)
    if found is None:
        _fail(f"unknown rule {code!r}; `queuelint rules` lists them")
    from queuelint import catalogue  # the rule pages: only for `rule` and `rules`

    page = catalogue.pages().get(found.code)
    if page is None:
        _fail(f"no documentation page for {found.code}", EXIT_INTERNAL)
    click.echo(page.text, nl=not page.text.endswith("\n"))


@cli.command()
@click.option("--format", "output_format", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True)
def rules(output_format: str) -> None:
    """List every rule."""
    from queuelint import catalogue

    pages = catalogue.pages()
    if output_format == "markdown":
        click.echo(catalogue.readme_table())
        return
    if output_format == "json":
        items = [{"code": r.code, "name": r.name, "severity": r.severity.value, "libraries": list(r.libraries),
                  "summary": pages[r.code].summary if r.code in pages else ""} for r in REGISTRY]
        click.echo(json.dumps(items, indent=2))
        return
    for r in REGISTRY:
        summary = pages[r.code].summary if r.code in pages else ""
        click.echo(f"{r.code}  {r.name:<20} {r.severity.value:<8} {summary}")


@cli.command()
def server() -> None:
    """Run the Language Server over stdio (needs the `lsp` extra)."""
    try:
        from queuelint.server import main as serve
    except ImportError:
        _fail("the language server needs the lsp extra: pip install 'queuelint[lsp]'")
    serve()


@cli.command("debug-config")
@config_option
@click.option("--select", multiple=True)
@click.option("--ignore", multiple=True)
def debug_config(config_path: str | None, select: tuple[str, ...], ignore: tuple[str, ...]) -> None:
    """Print the resolved settings and why each rule is on or off."""
    settings = _settings(config_path, select, ignore)
    click.echo("\n".join(config.describe(settings)))


def main() -> None:
    pool.collect_rarely()
    try:
        cli(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:  # never a bare traceback: say it is our bug, and how to report it
        click.echo("queuelint: internal error (please report this with the trace below)", err=True)
        click.echo(traceback.format_exc(), err=True)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
