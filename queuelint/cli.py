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

from queuelint import __version__, config, engine, pool, scope
from queuelint.discover import PathError
from queuelint.graph_output import RENDERERS
from queuelint.reporters import REPORTERS, reporter
from queuelint.reporters.paths import display_path, shown_path
from queuelint.rules import REGISTRY, closest_rule, lookup

if TYPE_CHECKING:
    from queuelint.model import FileFacts

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 101


def _fail(message: str, status: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"queuelint: error: {message}", err=True)
    sys.exit(status)


def _settings(config_path: str | None, select: Sequence[str], ignore: Sequence[str],
              paths: Sequence[str] = (), fail_on: str | None = None, stdin: bool = False) -> config.Settings:
    """`stdin`: the one path is standard input's file name, which need not exist."""
    try:
        for path in paths:
            if not stdin and not os.path.lexists(path):
                _fail(f"{display_path(path)}: no such file or directory")
        settings = config.for_paths(paths, config_path)
        return config.with_cli(settings, _split(select), _split(ignore), fail_on)
    except config.ConfigError as error:
        _fail(str(error))


def _split(values: Sequence[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _analyse(paths: Sequence[str], settings: config.Settings, jobs: int, cache: bool = True,
             facts: Sequence[str] = (), reuse: bool = False, whole_project: bool = False,
             stdin: bytes | None = None, relays: bool = True) -> engine.Result:
    """`whole_project`: analyse the project the paths belong to and keep the findings that
    touch them (`scope`); else analyse the paths alone (a shard's facts, its graph).
    `stdin`: the text of the one path, read instead of the disk. `relays`: list the places
    producers are called from (the graph's; `check` needs none of them)."""
    root = settings.root
    cache_dir = None
    if cache:
        from queuelint.cache import prepare

        cache_dir, why_not = prepare(root, settings.cache_dir)
        if cache_dir is None:  # said once; the analysis is the same without a cache, only slower
            click.echo(f"queuelint: warning: {display_path(os.path.join(root, settings.cache_dir))}: "
                       f"running without a cache: {why_not}", err=True)
    try:
        imported = _imported(facts, root)
        if not whole_project:
            return engine.analyse(paths or ["."], settings, jobs=jobs, cache_dir=cache_dir, imported=imported,
                                  reuse=reuse, relays=relays)
        if stdin is not None:
            workspace = engine.Workspace()
            workspace.buffers[os.path.abspath(paths[0])] = stdin
            result = engine.analyse([root], settings, jobs=jobs, workspace=workspace, imported=imported,
                                    extra=[os.path.abspath(paths[0])], relays=relays)
            result.buffers = dict(workspace.buffers)
        else:
            result = engine.analyse([root], settings, jobs=jobs, cache_dir=cache_dir, imported=imported, reuse=reuse,
                                    relays=relays)
    except PathError as error:
        _fail(str(error))
    wanted = [os.path.abspath(p) for p in paths or ["."]]
    if wanted != [os.path.abspath(root)]:
        result.diagnostics = scope.narrowed(result.diagnostics, wanted)
    return result


def _imported(sources: Sequence[str], root: str) -> list[FileFacts]:
    """Facts exported elsewhere (`--facts`)."""
    if not sources:
        return []
    from queuelint import exchange  # the facts vocabulary: not needed by most runs

    try:
        return [f for source in sources for f in exchange.load(source, root)]
    except exchange.FactsError as error:
        _fail(str(error))


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
@click.option("--output-format", "--format", "output_format", type=click.Choice(sorted(REPORTERS)), default="text",
              show_default=True, help="How findings are written (`--format` is the same flag).")
@click.option("--fail-on", type=click.Choice(config.FAIL_ON), default=None,
              help="The least severe finding that fails the run (exit 1) [default: the config's, else warning].")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (--fail-on never).")
@click.option("--quiet", "-q", is_flag=True, help="Print the findings only: no coverage line or summary.")
@click.option("--statistics", is_flag=True, help="Print how many findings each rule has, instead of the findings.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Colour the text output (auto: on a terminal, unless NO_COLOR is set).")
@click.option("--stdin-filename", type=click.Path(), default=None,
              help="With the path `-`: the file whose text standard input holds (analysed with its project).")
@config_option
@jobs_option
@cache_option
@click.option("--facts", "facts", multiple=True, type=click.Path(dir_okay=False),
              help="Also use facts exported by `queuelint extract` (another repository, or a shard).")
def check(paths: tuple[str, ...], select: tuple[str, ...], ignore: tuple[str, ...], output_format: str,
          fail_on: str | None, exit_zero: bool, quiet: bool, statistics: bool, color: str,
          stdin_filename: str | None, config_path: str | None, jobs: int | None, no_cache: bool,
          facts: tuple[str, ...]) -> None:
    """Check the project PATHS belong to, and report the findings that touch PATHS (default:
    the current directory). The whole project is always analysed: a file's findings can come
    from another file (a constants module, a worker elsewhere)."""
    stdin: bytes | None = None
    if "-" in paths:
        if paths != ("-",) or not stdin_filename:
            _fail("`-` (read standard input) needs --stdin-filename, and no other path")
        stdin, paths = sys.stdin.buffer.read(), (stdin_filename,)
    elif stdin_filename:
        _fail("--stdin-filename is given with the path `-`")
    settings = _settings(config_path, select, ignore, paths, fail_on="never" if exit_zero else fail_on,
                         stdin=stdin is not None)
    result = _analyse(paths, settings, jobs or pool.default_jobs(), cache=not no_cache and stdin is None,
                      facts=facts, reuse=True, whole_project=True, stdin=stdin, relays=False)
    colour = {"always": True, "never": False}.get(color, False if os.environ.get("NO_COLOR") else None)
    if statistics:
        from queuelint.reporters import statistics as counts

        output = counts.render(result.diagnostics, as_json=output_format == "json")
    elif output_format in ("text", "concise"):  # the formats a person reads whole: they say what was covered
        from queuelint.reporters import text

        output = text.render(result.diagnostics, len(result.internal_errors), None if quiet else result.coverage,
                             full=output_format == "text", summary=not quiet,
                             styled=colour if colour is not None else sys.stdout.isatty(), buffers=result.buffers)
    else:
        output = reporter(output_format)(result.diagnostics, len(result.internal_errors))
    click.echo(output, nl=False, color=colour)
    _report_problems(result)
    if result.internal_errors:
        sys.exit(EXIT_INTERNAL)
    failing = any(settings.fails(d.severity.value) for d in result.diagnostics)
    sys.exit(EXIT_FINDINGS if failing else EXIT_CLEAN)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--output-format", "--format", "output_format", type=click.Choice(sorted(RENDERERS)), default="json",
              show_default=True, help="How the graph is written (`--format` is the same flag).")
@config_option
@jobs_option
@cache_option
def graph(paths: tuple[str, ...], output_format: str, config_path: str | None, jobs: int | None,
          no_cache: bool) -> None:
    """Show the queues, job names, producers and consumers that were understood."""
    settings = _settings(config_path, (), (), paths)
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
    settings = _settings(config_path, (), (), paths)
    result = _analyse(paths, settings, jobs or pool.default_jobs(), cache=not no_cache)
    assert result.graph is not None  # only `check` reuses a result, which has no graph
    from queuelint import exchange

    try:
        count = exchange.write(result.graph, settings.root, output)
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
        close = closest_rule(code)
        _fail(f"unknown rule {code!r}" + (f" (did you mean {close!r}?)" if close else "") +
              "; `queuelint rules` lists them")
    from queuelint import catalogue  # the rule pages: only for `rule` and `rules`

    page = catalogue.pages().get(found.code)
    if page is None:
        _fail(f"no documentation page for {found.code}", EXIT_INTERNAL)
    click.echo(page.text, nl=not page.text.endswith("\n"))


@cli.command()
@click.option("--output-format", "--format", "output_format", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True, help="How the rules are listed (`--format` is the same flag).")
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
@click.argument("path", required=False, type=click.Path())
@config_option
@click.option("--select", multiple=True)
@click.option("--ignore", multiple=True)
def debug_config(path: str | None, config_path: str | None, select: tuple[str, ...], ignore: tuple[str, ...]) -> None:
    """Print the settings for PATH (default: the current directory) and why each rule is on or off there."""
    settings = _settings(config_path, select, ignore, [path] if path else [])
    click.echo("\n".join(config.describe(settings, path)))


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
