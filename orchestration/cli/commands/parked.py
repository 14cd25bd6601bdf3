"""`sfn-etl parked list | show | release`: the raw files set aside with their reason
(orchestration/core/parked.py), and handing them back to the next execution."""

from __future__ import annotations

import json

import typer

from orchestration.core.errors import UserError
from orchestration.core.lake import Lake
from orchestration.core.layout import raw_file_uri, raw_path, raw_root
from orchestration.core.parked import ParkedFile, parked_files, read_parked, release
from orchestration.core.settings import Settings


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Raw files set aside with their reason: list, show, release.", no_args_is_help=True
    )
    group.command("list")(list_command)
    group.command("show")(show_command)
    group.command("release")(release_command)
    app.add_typer(group, name="parked")


def list_command(
    dataset: str = typer.Option(None, "--dataset", help="Only this dataset's parked files."),
    as_json: bool = typer.Option(False, "--json", help="Print the markers as a JSON list."),
) -> None:
    """List the parked files with the reason each was parked."""
    lake = Settings.from_env().open_lake()
    files = parked_files(lake, dataset)
    if as_json:
        typer.echo(json.dumps([f.to_json() for f in files], indent=2, sort_keys=True))
        return
    if not files:
        typer.echo(f"no parked files{f' of {dataset}' if dataset else ''} in {lake.root}")
        return
    for parked in files:
        typer.echo(parked.path)
        typer.echo(f"  {_where(parked)}, parked {parked.parked_at}: {parked.reason}")
    typer.echo(
        f"{len(files)} parked file(s); `sfn-etl parked release PATH` gives one back to the next "
        "execution"
    )


def show_command(path: str = typer.Argument(..., help="The file's path in the raw zone.")) -> None:
    """Show everything the marker of one parked file says."""
    lake = Settings.from_env().open_lake()
    parked = read_parked(lake, _relative(lake, path))
    typer.echo(f"path:      {parked.path}")
    typer.echo(f"uri:       {raw_file_uri(lake, parked.path)}")
    typer.echo(f"dataset:   {parked.dataset}")
    typer.echo(f"table:     {parked.table or '(no raw table declared for its folder)'}")
    typer.echo(f"size:      {parked.size} bytes")
    typer.echo(f"etag:      {parked.etag}")
    if parked.lines is not None:
        typer.echo(f"lines:     {parked.lines}")
    typer.echo(f"parked by: {f'batch {parked.batch_id}' if parked.batch_id else 'extract'}")
    typer.echo(f"parked at: {parked.parked_at}")
    typer.echo(f"reason:    {parked.reason}")


def release_command(
    paths: list[str] = typer.Argument(None, help="Paths of parked files in the raw zone."),
    dataset: str = typer.Option(None, "--dataset", help="With --all: the dataset to release."),
    release_all: bool = typer.Option(
        False, "--all", help="Release every parked file of --dataset."
    ),
) -> None:
    """Delete the markers of parked files: the next execution takes them again. Release a file
    once its cause is fixed (a file parked for its folder is parked again where it lies)."""
    lake = Settings.from_env().open_lake()
    if release_all:
        if paths:
            raise UserError("give PATHs or --dataset D --all, not both")
        if not dataset:
            raise UserError("--all releases one dataset's parked files: add --dataset D")
        chosen = [p.path for p in parked_files(lake, dataset)]
        if not chosen:
            typer.echo(f"no parked files of {dataset}")
            return
    elif dataset:
        raise UserError("--dataset goes with --all; to release some files, name their paths")
    elif not paths:
        raise UserError("name the files to release: PATH... or --dataset D --all")
    else:
        chosen = [_relative(lake, p) for p in paths]
        # Every path is checked before any marker is deleted: a typo releases nothing.
        for path in chosen:
            read_parked(lake, path)
    for path in chosen:
        released = release(lake, path)
        typer.echo(f"released {path} ({_where(released)})")
    typer.echo(f"{len(chosen)} file(s) released: the next execution takes them")


def _where(parked: ParkedFile) -> str:
    return f"{parked.dataset}.{parked.table}" if parked.table else f"{parked.dataset}, no table"


def _relative(lake: Lake, path: str) -> str:
    """A path as `parked list` prints it; the file's full URI is accepted too."""
    if path.startswith(raw_root(lake).rstrip("/") + "/"):
        return raw_path(lake, path)
    return path
